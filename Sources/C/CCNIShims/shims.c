// One-line wrappers; no logic lives here.
#define _GNU_SOURCE
#include "CCNIShims.h"
#include <errno.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <linux/nsfs.h>
#include <linux/magic.h>

int ccni_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
int ccni_unshare_net(void) { return unshare(CLONE_NEWNET); }
int ccni_ns_get_type(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
int ccni_clone_newnet(void) { return CLONE_NEWNET; }
long ccni_fs_type(int fd) { struct statfs s; if (fstatfs(fd, &s) != 0) return -1; return (long)s.f_type; }
long ccni_path_fs_type(const char *path) { struct statfs s; if (statfs(path, &s) != 0) return -1; return (long)s.f_type; }
long ccni_nsfs_magic(void) { return NSFS_MAGIC; }
int ccni_flock(int fd, int op) { return flock(fd, op); }
int ccni_errno(void) { return errno; }
void ccni_set_errno(int value) { errno = value; }
int ccni_gettid(void) { return (int)syscall(SYS_gettid); }
int ccni_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
