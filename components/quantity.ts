// Quantities are shared with the policy pack, which must stay self-contained: the one
// implementation lives there.
export * from "../policy/lib/quantity";
