// The benchmark's baseline: a Pulumi program with one resource, run by the same harness.
import { RandomString } from "@pulumi/random/randomString";

export const value = new RandomString("baseline", { length: 8 }).result;
