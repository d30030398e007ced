// The instance table is shared with the policy pack, which must stay self-contained: the
// one copy lives there.
export * from "../policy/lib/instance-types";
