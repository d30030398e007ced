// Graph walking shared by the stack policies and the tests.

/** Everything reachable from `start` by following `next`, `start` itself excluded unless reached again. */
export function reachable<T>(start: readonly T[], next: (node: T) => readonly T[]): Set<T> {
    const seen = new Set<T>();
    const stack = [...start];
    while (stack.length > 0) {
        const node = stack.pop()!;
        if (!seen.has(node)) {
            seen.add(node);
            stack.push(...next(node));
        }
    }
    return seen;
}
