#define BK_VERSION "0.1.0"
