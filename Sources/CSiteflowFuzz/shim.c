// The declarations in include/CSiteflowFuzz.h need no code of ours.
