/**
 * What an exit that cannot wait for finalizers (a second Ctrl-C) must still do. Whatever makes a
 * file or directory that is not to outlive the process lists it here while it exists: report temp
 * files, the programs' directories, checkpoint locks.
 */
export const removeOnExitNow = new Set<string>()

/** The resume command of the benchmark under way, printed by such an exit. */
export const underWay: { resumeWith?: string | undefined } = {}
