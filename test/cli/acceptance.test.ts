// The acceptance figures of sigmax/train, with the CLI's default settings and seed 42.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trainIris, trainNames, trainSpam } from '../../packages/sigmax-cli/src/tasks.js';

describe('acceptance figures (seed 42)', () => {
  it('softmax regression reaches at least 95% test accuracy on a fixed 30% split of Iris', async (t) => {
    const r = await trainIris({ seed: 42 });
    t.diagnostic(`iris: test accuracy ${r.testAccuracy}, test loss ${r.testLoss}, epochs ${r.history.epochs}`);
    assert.deepEqual(r.sizes, { train: 84, validation: 21, test: 45 });
    assert.ok(r.testAccuracy >= 0.95, `test accuracy ${r.testAccuracy}`);
  });

  it('logistic regression on hashed words reaches at least 95% test accuracy on the SpamAssassin emails', async (t) => {
    const r = await trainSpam({ seed: 42 });
    t.diagnostic(`spam: test accuracy ${r.testAccuracy}, test loss ${r.testLoss}, confusion ${JSON.stringify(r.confusionMatrix)}`);
    assert.equal(r.sizes.train + r.sizes.validation + r.sizes.test, 6046);
    assert.ok(r.testAccuracy >= 0.95, `test accuracy ${r.testAccuracy}`);
  });

  it('the bigram names model trained by gradient descent ends within 0.01 nats of the closed-form optimum', async (t) => {
    const r = await trainNames({ seed: 42 });
    const gap = Math.abs(r.trainLoss - (r.closedFormLoss as number));
    t.diagnostic(`bigram: gradient descent ${r.trainLoss}, closed form ${r.closedFormLoss}, |gap| ${gap}, validation ${r.validationLoss}`);
    assert.ok(gap <= 0.01, `gap ${gap}`);
    assert.equal(r.samples?.length, 10);
  });

  it('an MLP over 3 characters beats the bigram model on validation names within two epochs', async (t) => {
    const r = await trainNames({ seed: 42, model: 'mlp', hidden: [32], epochs: 2, lr: 0.01 });
    t.diagnostic(`names MLP (32 tanh, 2 epochs): validation ${r.validationLoss}, bigram validation ${r.bigramValidationLoss}`);
    assert.ok(r.validationLoss < (r.bigramValidationLoss as number), `MLP ${r.validationLoss} vs bigram ${r.bigramValidationLoss}`);
  });
});
