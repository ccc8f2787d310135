#ifndef CSYLINUX_H
#define CSYLINUX_H
/* Wrappers for what Glibc's Swift overlay lacks. Symbols carry an sy_ prefix. */
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

/* getdents64(2): raw linux_dirent64 records into buf. */
long sy_getdents64(int fd, void *buf, unsigned long len);
/* 1 if the filesystem of fd answers getdents64 with every entry that fits in the buffer
   (ext2/3/4, xfs, btrfs, tmpfs), 0 if not or unknown. */
int sy_fs_fills_getdents(int fd);
/* An unnamed regular file in directory dirfd (O_TMPFILE, read-write, mode 0600): fd or -1. */
int sy_open_unnamed(int dirfd);
/* Names the unnamed file fd `name` in dirfd (linkat through /proc/self/fd, else AT_EMPTY_PATH);
   0 or -1 with errno (EEXIST when the name is taken). */
int sy_link_unnamed(int fd, int dirfd, const char *name);
/* copy_file_range(2) with explicit offsets. */
long sy_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, unsigned long len);
/* sync_file_range(SYNC_FILE_RANGE_WRITE): start writeback of a range, without waiting. */
int sy_start_writeback(int fd, int64_t off, int64_t len);
/* ioctl(FICLONE): reflink the whole of src into dst; 0 or -1 with errno. */
int sy_ficlone(int dst, int src);
/* splice(2) between pipes (no offsets); nonblock adds SPLICE_F_NONBLOCK. Bytes moved or -1. */
long sy_splice_pipes(int fd_in, int fd_out, unsigned long len, int nonblock);
/* ioctl(FIONREAD): bytes waiting in a pipe, or -1. */
int sy_pipe_available(int fd);
/* fcntl(F_SETPIPE_SZ); returns the new size or -1. */
int sy_set_pipe_size(int fd, int size);
/* renameat2(2). */
int sy_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
/* The nanosecond fields of struct stat. */
int64_t sy_stat_mtime_nsec(const struct stat *st);
int64_t sy_stat_mtime_sec(const struct stat *st);
int64_t sy_stat_atime_sec(const struct stat *st);
/* Times of a file: the access time only if atime_sec >= 0 (nanoseconds 0), else left alone. */
int sy_set_times(int dirfd, const char *path, int fd, int64_t atime_sec, int64_t sec, int64_t nsec, int flags);
/* makedev / major / minor. */
uint64_t sy_makedev(uint32_t major, uint32_t minor);
uint32_t sy_major(uint64_t dev);
uint32_t sy_minor(uint64_t dev);
/* Set atime to now-or-omit and mtime to (sec,nsec) on dirfd/path (flags: AT_SYMLINK_NOFOLLOW) or on fd when path is NULL. */
int sy_set_mtime(int dirfd, const char *path, int64_t sec, int64_t nsec, int flags);
int sy_fset_mtime(int fd, int64_t sec, int64_t nsec);

/* rsync weak checksum sums of n bytes (s1, s2 modulo 2^32). */
void sy_weak_sum(const uint8_t *p, size_t n, uint32_t *s1, uint32_t *s2);
/* Rolls the weak sum from pos until the prefilter bitmap may hold it or pos reaches limit. */
size_t sy_roll_scan(const uint8_t *buf, size_t pos, size_t limit, size_t bs,
                    uint32_t *s1, uint32_t *s2, const uint64_t *bitmap, unsigned shift);

/* Whether the AVX2 code runs: the CPU has it and SY_NO_AVX2 is not set. */
int sy_has_avx2(void);

/* XXH3, inline and with AVX2 where the CPU has it (xxh_dispatch.c). */
typedef struct { uint64_t low, high; } sy_hash128;
sy_hash128 sy_xxh3_128(const void *p, size_t n);
void *sy_xxh3_state_new(void);
void sy_xxh3_state_free(void *state);
void sy_xxh3_128_reset(void *state);
void sy_xxh3_128_update(void *state, const void *p, size_t n);
sy_hash128 sy_xxh3_128_digest(const void *state);
void sy_xxh3_64_reset(void *state);
void sy_xxh3_64_update(void *state, const void *p, size_t n);
uint64_t sy_xxh3_64_digest(const void *state);
/* Remove the current temporary file and exit 20 on SIGINT/SIGTERM/SIGHUP. */
void sy_install_temp_cleanup(void);
/* With partial_dir and final_name, the temp file is kept as partial_dir/final_name instead. */
void sy_set_current_temp(int dirfd, const char *name, int partial_base, const char *partial_dir, const char *final_name);
/* Extended attributes of a path's last component (never followed) or of an open fd. */
long sy_llistxattr(const char *path, char *list, unsigned long size);
long sy_lgetxattr(const char *path, const char *name, void *value, unsigned long size);
int sy_lsetxattr(const char *path, const char *name, const void *value, unsigned long size);
int sy_lremovexattr(const char *path, const char *name);
long sy_flistxattr(int fd, char *list, unsigned long size);
long sy_fgetxattr(int fd, const char *name, void *value, unsigned long size);
int sy_fsetxattr(int fd, const char *name, const void *value, unsigned long size);
int sy_fremovexattr(int fd, const char *name);
/* pipe2(fds, O_CLOEXEC). */
int sy_pipe_cloexec(int fds[2]);

extern const int sy_RENAME_NOREPLACE;
extern const long sy_UTIME_OMIT;
extern const long sy_UTIME_NOW;
extern const int sy_O_PATH;
extern const int sy_O_NOATIME;
extern const int sy_O_DIRECTORY;
extern const int sy_O_NOFOLLOW;
extern const int sy_O_CLOEXEC;
extern const int sy_AT_REMOVEDIR;
extern const int sy_AT_SYMLINK_NOFOLLOW;
extern const int sy_AT_FDCWD;
extern const int sy_AT_EMPTY_PATH;

#endif
