/* quotactl alloc: the allocator's command line (compute quotas from a scheme and data). */
#ifndef QUOTAD_TOOLS_QUOTACTL_ALLOC_H
#define QUOTAD_TOOLS_QUOTACTL_ALLOC_H

/* argv[0] is "alloc". Usage:
 *   quotactl alloc compute --scheme FILE --data FILE.csv [--bp VALUE] [--csv | --json]
 * Prints the result to stdout and errors to stderr. Returns the process exit status:
 * 0 success, 1 invalid input (scheme, data, no root), 2 usage. */
int quotactl_alloc(int argc, char **argv);

#endif /* QUOTAD_TOOLS_QUOTACTL_ALLOC_H */
