/** A kernel path that may sleep: a coroutine that yields at preemption points and returns T. */
export type Gen<T = void> = Generator<void, T, void>;
