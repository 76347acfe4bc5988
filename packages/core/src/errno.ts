/**
 * The error numbers the model's system calls return (negated, as the kernel
 * returns them), and the bits a task collects of the errors its current
 * system call met: a call may return an error only if it met it.
 */
export const EIO = -5;
export const EFAULT = -14;
export const ENOSPC = -28;

/** A fault found no mapping, or a fault past EOF raised SIGBUS. */
export const MET_EFAULT = 1;
/** A block allocation found the filesystem full. */
export const MET_ENOSPC = 2;
/** A disk read failed. */
export const MET_EIO = 4;

/** The bit of the error a call may return: EFAULT -> MET_EFAULT, …; 0 for anything else. */
export function metBit(errno: number): number {
  return errno === EFAULT ? MET_EFAULT : errno === ENOSPC ? MET_ENOSPC : errno === EIO ? MET_EIO : 0;
}

export function errnoName(errno: number): string {
  return errno === EFAULT ? 'EFAULT' : errno === ENOSPC ? 'ENOSPC' : errno === EIO ? 'EIO' : String(errno);
}
