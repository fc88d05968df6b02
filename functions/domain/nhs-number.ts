/**
 * NHS number: 10 digits whose last is a modulus-11 check digit over the first nine
 * (weights 10..2). A remainder giving 10 means the number is invalid.
 * People and systems write it with spaces or dashes (485 777 3456, 485-777-3456): those are
 * dropped; any other character makes it invalid.
 */
export function normaliseNhsNumber(value: string): string | undefined {
  const digits = value.trim().replace(/[\s-]+/g, '');
  return /^\d{10}$/.test(digits) ? digits : undefined;
}

export function isValidNhsNumber(value: string): boolean {
  const digits = normaliseNhsNumber(value);
  if (!digits) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  const expected = check === 11 ? 0 : check;
  return expected !== 10 && expected === Number(digits[9]);
}
