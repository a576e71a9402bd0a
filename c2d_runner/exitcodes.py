"""The documented, stable exit codes of the `c2d` command."""

OK = 0  # everything ran and every expectation held (or: every file is valid)
FAILED = 1  # a job failed or an expectation did not hold
INVALID = 2  # invalid spec, world file or command-line usage; nothing was started
INFRASTRUCTURE = 3  # a provider, Aquarius or the mock could not be reached or answered wrongly
