/** Which of `count` recurrent matrices step t (1-based) uses: the one tied matrix, or untied W0_t (index t - 1). */
export function matrixAt(count: number, t: number): number {
  return count === 1 ? 0 : t - 1;
}
