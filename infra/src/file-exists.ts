import { stat } from 'node:fs/promises';

/** Whether a path exists; other errors than "no such file" (permissions, I/O) are thrown. */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
