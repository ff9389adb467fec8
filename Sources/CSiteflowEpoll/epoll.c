// Headers only: see include/CSiteflowEpoll.h.
#include "CSiteflowEpoll.h"
