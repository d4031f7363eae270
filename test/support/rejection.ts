/** Awaits `promise`, which must reject with an instance of `type`, and resolves with that error. */
export async function rejectionOf<E>(promise: Promise<unknown>, type: abstract new (...args: any[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error('expected a rejection');
}
