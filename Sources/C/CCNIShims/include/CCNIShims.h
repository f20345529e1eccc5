// CCNIShims: one-line wrappers for what Swift's Glibc module does not expose (namespaces, flock, errno).
#ifndef CCNISHIMS_H
#define CCNISHIMS_H
#include <sys/types.h>

/// setns(2) for a network namespace fd; returns 0 or -1 with errno set.
int ccni_setns_net(int fd);
/// unshare(2) with CLONE_NEWNET; returns 0 or -1 with errno set.
int ccni_unshare_net(void);
/// ioctl(fd, NS_GET_NSTYPE): the CLONE_NEW* kind of a namespace fd, or -1 with errno set.
int ccni_ns_get_type(int fd);
/// The CLONE_NEWNET constant.
int ccni_clone_newnet(void);
/// fstatfs(2) f_type of an fd, or -1 with errno set.
long ccni_fs_type(int fd);
/// statfs(2) f_type of a path, or -1 with errno set.
long ccni_path_fs_type(const char *path);
/// The NSFS_MAGIC constant (file system type of /proc/<pid>/ns/* and bind mounts of them).
long ccni_nsfs_magic(void);
/// flock(2).
int ccni_flock(int fd, int op);
/// The current thread's errno.
int ccni_errno(void);
/// Sets the current thread's errno.
void ccni_set_errno(int value);
/// pipe2(2) with O_CLOEXEC.
int ccni_pipe_cloexec(int fds[2]);
/// gettid(2).
int ccni_gettid(void);
#endif
