// Dataset loaders over npm packages (optional dependencies, imported on first use): Iris, the
// SpamAssassin corpus and English first names. A missing package gives DatasetUnavailableError.

export { DatasetUnavailableError } from './errors.js';
export { loadIris, IRIS_FEATURES } from './iris.js';
export { loadNames } from './names.js';
export { loadSpam, loadSpamEmails, emailContent, tokenize, fnv1a, hashedBagOfWords, type Email, type HashOptions } from './spam.js';
