package ucrtshim

import "C" // builds ucrtshim_windows.c and ucrtshim_windows.cpp
