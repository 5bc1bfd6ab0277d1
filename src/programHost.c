/*
 * The native program host: what src/programHost.ts does, in C. A Node process spends about 1.6 ms
 * of CPU on each program it spawns and watches (libuv forks the whole Node process, and each child
 * comes with handles, streams and events); posix_spawn and one poll loop cost a quarter of that
 * (bench/README.md). The build compiles this where a C compiler exists; elsewhere the harness
 * starts the Node host, which speaks the same protocol (src/services/hostProtocol.ts).
 *
 * The same behaviour, point for point: each program in a fresh directory (its cwd and HOME) under
 * $TMPDIR, in a session of its own, with a scrubbed environment and stdin from /dev/null; stdout
 * and stderr capped at 1 MiB each; on timeout, on exit and on cancel the whole process group is
 * killed; after a program exits its pipes may stay open 500 ms more (a process in a session of its
 * own may hold them); when stdin closes every program still running is killed, and so is anything
 * that still carries this host's mark in its environment, and the host exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_CAP (1024 * 1024)
#define EXIT_DRAIN_MS 500.0
#define MARK "ILO_BENCH_HOST"

enum { REQ_RUN = 1, REQ_CANCEL = 2, OUT_RUN = 1, OUT_SPAWN_ERROR = 2 };

typedef struct {
  char *data;
  size_t len, cap;
} Buf;

typedef struct Program {
  uint32_t id;
  pid_t pid;
  int out, err; /* read ends, -1 once closed */
  Buf stdout_, stderr_;
  int truncated, timed_out, exited, status;
  double started, exited_at;
  double deadline; /* < 0: none (or fired) */
  double drain_at; /* < 0: not exited yet */
  char *dir, *file;
  struct Program *next;
} Program;

static Program *programs;
static int sigchld_pipe[2];
static char cwd[4096];
static const char *tmp_dir;
static char mark_env[64];

static void die(const char *what) {
  fprintf(stderr, "ilo-bench program host: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL) die("out of memory");
  return q;
}

static void buf_add(Buf *b, const void *data, size_t n) {
  if (n == 0) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

static void buf_u8(Buf *b, uint8_t v) { buf_add(b, &v, 1); }

static void buf_u32(Buf *b, uint32_t v) {
  uint8_t x[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >> 24) & 255};
  buf_add(b, x, 4);
}

static void buf_bytes(Buf *b, const char *data, size_t n) {
  buf_u32(b, (uint32_t)n);
  buf_add(b, data, n);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- replies ---- */

/*
 * Replies wait here while the harness is slow to read them (its event loop busy): the host goes on
 * reading programs' output and enforcing time limits meanwhile, as the Node host does.
 */
static Buf replies;
static size_t replies_sent;
static int harness_gone;

static void flush_replies(void) {
  while (replies_sent < replies.len) {
    ssize_t w = write(1, replies.data + replies_sent, replies.len - replies_sent);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (w < 0) {
      /* The harness is gone: its end of our stdin closes too, and the loop ends there. */
      harness_gone = 1;
      break;
    }
    replies_sent += (size_t)w;
  }
  replies.len = replies_sent = 0;
}

static void send_frame(Buf *body) {
  if (!harness_gone) {
    buf_u32(&replies, (uint32_t)body->len);
    buf_add(&replies, body->data, body->len);
    flush_replies();
  }
  free(body->data);
}

static void reply_spawn_error_n(uint32_t id, const char *command, size_t command_len, const char *message) {
  Buf b = {0};
  buf_u8(&b, OUT_SPAWN_ERROR);
  buf_u32(&b, id);
  buf_bytes(&b, command, command_len);
  buf_bytes(&b, message, strlen(message));
  send_frame(&b);
}

static void reply_spawn_error(uint32_t id, const char *command, const char *message) {
  reply_spawn_error_n(id, command, strlen(command), message);
}

/* libuv's names and words for the errors a spawn or a file call can meet: Node's messages use them. */
static const struct {
  int number;
  const char *name, *text;
} ERRORS[] = {
  {E2BIG, "E2BIG", "argument list too long"},
  {EACCES, "EACCES", "permission denied"},
  {EAGAIN, "EAGAIN", "resource temporarily unavailable"},
  {EBUSY, "EBUSY", "resource busy or locked"},
  {EEXIST, "EEXIST", "file already exists"},
  {EFBIG, "EFBIG", "file too large"},
  {EINVAL, "EINVAL", "invalid argument"},
  {EIO, "EIO", "i/o error"},
  {EISDIR, "EISDIR", "illegal operation on a directory"},
  {ELOOP, "ELOOP", "too many symbolic links encountered"},
  {EMFILE, "EMFILE", "too many open files"},
  {ENAMETOOLONG, "ENAMETOOLONG", "name too long"},
  {ENFILE, "ENFILE", "file table overflow"},
  {ENODEV, "ENODEV", "no such device"},
  {ENOENT, "ENOENT", "no such file or directory"},
  {ENOEXEC, "ENOEXEC", "exec format error"},
  {ENOMEM, "ENOMEM", "not enough memory"},
  {ENOSPC, "ENOSPC", "no space left on device"},
  {ENOTDIR, "ENOTDIR", "not a directory"},
  {ENXIO, "ENXIO", "no such device or address"},
  {EPERM, "EPERM", "operation not permitted"},
  {EROFS, "EROFS", "read-only file system"},
  {ETXTBSY, "ETXTBSY", "text file is busy"},
};

static int error_index(int e) {
  for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
    if (ERRORS[i].number == e) return (int)i;
  return -1;
}

static const char *errno_name(int e) {
  int i = error_index(e);
  return i < 0 ? "UNKNOWN" : ERRORS[i].name;
}

/* "ENOENT: no such file or directory, mkdtemp '/tmp/x'", as Node words a failed file call. */
static void file_error(char *out, size_t n, int e, const char *call, const char *path) {
  int i = error_index(e);
  snprintf(out, n, "%s: %s, %s '%s'", i < 0 ? "UNKNOWN" : ERRORS[i].name, i < 0 ? "unknown error" : ERRORS[i].text, call, path);
}

/* ---- the programs' directories ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

static void remove_work_dir(Program *p) {
  if (p->dir == NULL) return;
  if (p->file != NULL) unlink(p->file);
  /* Twice more, as Node's rmSync retries: a process of the program's may still be writing there. */
  for (int tries = 0; tries < 3 && rmdir(p->dir) != 0 && errno != ENOENT; tries++) nftw(p->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(p->dir);
  free(p->file);
  p->dir = p->file = NULL;
}

/* ---- starting a program ---- */

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

typedef struct {
  const uint8_t *at, *end;
  int bad;
} Reader;

static uint32_t rd_u32(Reader *r) {
  if (r->end - r->at < 4) return r->bad = 1, 0;
  uint32_t v = (uint32_t)r->at[0] | (uint32_t)r->at[1] << 8 | (uint32_t)r->at[2] << 16 | (uint32_t)r->at[3] << 24;
  r->at += 4;
  return v;
}

static uint8_t rd_u8(Reader *r) {
  if (r->end - r->at < 1) return r->bad = 1, 0;
  return *r->at++;
}

static double rd_f64(Reader *r) {
  if (r->end - r->at < 8) return r->bad = 1, 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | r->at[i];
  r->at += 8;
  double d;
  memcpy(&d, &v, 8);
  return d;
}

/* The n bytes at s, NUL-terminated, in a block of their own. */
static char *copy_n(const char *s, size_t n) {
  char *copy = xrealloc(NULL, n + 1);
  memcpy(copy, s, n);
  copy[n] = 0;
  return copy;
}

/* A string field as a fresh NUL-terminated copy; *len is its length (it may hold a NUL). */
static char *rd_str(Reader *r, size_t *len) {
  uint32_t n = rd_u32(r);
  if (r->bad || (size_t)(r->end - r->at) < n) return r->bad = 1, NULL;
  char *s = copy_n((const char *)r->at, n);
  r->at += n;
  if (len) *len = n;
  return s;
}

static char *replace_file(const char *part, const char *file) {
  const char *key = "{file}";
  Buf b = {0};
  const char *at = part, *hit;
  while (file != NULL && (hit = strstr(at, key)) != NULL) {
    buf_add(&b, at, (size_t)(hit - at));
    buf_add(&b, file, strlen(file));
    at = hit + strlen(key);
  }
  buf_add(&b, at, strlen(at) + 1);
  return b.data;
}

/* path.normalize: "." and ".." folded, a relative path kept relative. */
static char *normalize(const char *path) {
  int absolute = path[0] == '/';
  char *copy = copy_n(path, strlen(path));
  char *out = xrealloc(NULL, strlen(path) + 3);
  size_t n = 0, kept = 0; /* kept: segments in out that a ".." may take back */
  for (char *seg = strtok(copy, "/"); seg != NULL; seg = strtok(NULL, "/")) {
    if (strcmp(seg, ".") == 0) continue;
    if (strcmp(seg, "..") == 0 && kept > 0) {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--;
      kept--;
      continue;
    }
    if (strcmp(seg, "..") == 0 && absolute) continue;
    if (n > 0 || absolute) out[n++] = '/';
    memcpy(out + n, seg, strlen(seg));
    n += strlen(seg);
    if (strcmp(seg, "..") != 0) kept++;
  }
  if (n == 0) out[n++] = absolute ? '/' : '.';
  out[n] = 0;
  free(copy);
  return out;
}

/* a, then sep, then b: a path ("dir" '/' "name") or an environment entry ("PATH" '=' "..."). */
static char *join_with(const char *a, char sep, const char *b) {
  Buf joined = {0};
  buf_add(&joined, a, strlen(a));
  buf_add(&joined, &sep, 1);
  buf_add(&joined, b, strlen(b) + 1);
  return joined.data;
}

static char *join2(const char *a, const char *b) { return join_with(a, '/', b); }

/* path.resolve(bin): absolute, against the host's directory, normalized. */
static char *resolve_path(const char *bin) {
  char *joined = bin[0] == '/' ? NULL : join2(cwd, bin);
  char *out = normalize(joined ? joined : bin);
  free(joined);
  return out;
}

/*
 * The search glibc's execvp does in libuv's child, after it has moved to the program's directory:
 * ENOENT, ENOTDIR and the like go on to the next entry, so does EACCES (remembered), anything else
 * stops it.
 * Returns the path to spawn (a relative entry stays relative: the spawn runs in `dir`).
 */
static char *search_path(const char *bin, const char *path, const char *dir, int *error) {
  int saw_eacces = 0;
  if (strlen(bin) > NAME_MAX) {
    *error = ENAMETOOLONG;
    return NULL;
  }
  size_t longest = strlen(path) < PATH_MAX - 1 ? strlen(path) + 1 : PATH_MAX;
  for (const char *at = path;; at++) {
    const char *colon = strchr(at, ':');
    size_t n = colon ? (size_t)(colon - at) : strlen(at);
    /* glibc passes over an entry as long as PATH_MAX; an empty one is the directory itself. */
    if (n >= longest) {
      if (colon == NULL) break;
      at = colon;
      continue;
    }
    char *entry = copy_n(at, n);
    char *candidate = n ? join2(entry, bin) : copy_n(bin, strlen(bin));
    char *checked = candidate[0] == '/' ? NULL : join2(dir, candidate);
    free(entry);
    struct stat st;
    int found = stat(checked ? checked : candidate, &st) == 0;
    int e = errno;
    if (found && S_ISREG(st.st_mode) && access(checked ? checked : candidate, X_OK) == 0) {
      free(checked);
      return candidate;
    }
    free(checked);
    free(candidate);
    if (found || e == EACCES) saw_eacces = 1;
    else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT) {
      *error = e;
      return NULL;
    }
    if (colon == NULL) break;
    at = colon;
  }
  *error = saw_eacces ? EACCES : ENOENT;
  return NULL;
}

/* The program's stdout or stderr: a socket pair, as libuv makes for a "pipe" (so /dev/stdout cannot be opened, as under Node). */
static int stdio_pair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

/* pipe2 is not everywhere (macOS); the host is one thread, so nothing can spawn between the calls. */
static int cloexec_pipe(int fds[2]) {
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

static int spawn_in(pid_t *pid, const char *path, char **argv, char **envp, const char *dir, int out, int err) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addchdir_np(&fa, dir);
  posix_spawnattr_init(&attr);
  sigemptyset(&none);
  sigfillset(&all);
#if defined(__GLIBC__) && defined(__linux__)
  /* glibc's sigfillset leaves out its two internal signals, and posix_spawn would leave them ignored
     in the program; libuv's children have every signal at its default. */
  for (int sig = __SIGRTMIN; sig < SIGRTMIN; sig++) {
    unsigned long *words = (unsigned long *)&all;
    words[(sig - 1) / (8 * sizeof *words)] |= 1UL << ((sig - 1) % (8 * sizeof *words));
  }
#endif
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int e = posix_spawn(pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return e;
}

/* Node reports these from a spawn as an error event naming the file; any other it throws as "spawn CODE". */
static int reported_with_file(int e) { return e == EACCES || e == EAGAIN || e == EMFILE || e == ENFILE || e == ENOENT; }

static void start_program(Reader *r) {
  uint32_t id = rd_u32(r);
  double timeout = rd_f64(r);
  uint32_t argc = rd_u32(r);
  if (r->bad || argc > (uint32_t)(r->end - r->at) / 4) {
    r->bad = 1;
    return;
  }
  char **parts = xrealloc(NULL, sizeof(char *) * (argc + 1));
  int has_nul = 0;
  size_t first_len = 0;
  for (uint32_t i = 0; i < argc; i++) {
    size_t n;
    parts[i] = rd_str(r, &n);
    if (parts[i] == NULL) {
      for (uint32_t j = 0; j < i; j++) free(parts[j]);
      free(parts);
      return;
    }
    if (i == 0) first_len = n;
    if (strlen(parts[i]) != n) has_nul = 1;
  }
  parts[argc] = NULL;
  char *extension = NULL, *source = NULL;
  size_t source_len = 0, extension_len = 0;
  if (rd_u8(r) == 1) {
    extension = rd_str(r, &extension_len);
    source = rd_str(r, &source_len);
    if (extension != NULL && strlen(extension) != extension_len) has_nul = 1;
  }
  if (r->bad) goto done;
  if (argc == 0 || parts[0][0] == 0) {
    reply_spawn_error(id, "", "empty command line");
    goto done;
  }
  if (has_nul) {
    reply_spawn_error_n(id, parts[0], first_len, "the command line or the program's extension holds a NUL byte");
    goto done;
  }

  Program *p = calloc(1, sizeof *p);
  if (p == NULL) die("out of memory");
  p->id = id;
  p->out = p->err = -1;
  p->deadline = p->drain_at = -1;
  char message[8192];
  p->dir = join2(tmp_dir, "ilo-bench-XXXXXX");
  if (mkdtemp(p->dir) == NULL) {
    int e = errno;
    char *template = join2(tmp_dir, "ilo-bench-XXXXXX");
    file_error(message, sizeof message, e, "mkdtemp", template);
    free(template);
    reply_spawn_error(id, parts[0], message);
    free(p->dir);
    free(p);
    goto done;
  }
  p->started = now_ms();
  if (source != NULL) {
    /* path.join: an extension holding "/.." is folded as Node folds it. */
    char *name = xrealloc(NULL, extension_len + 8);
    snprintf(name, extension_len + 8, "program%s", extension);
    char *joined = join2(p->dir, name);
    p->file = normalize(joined);
    free(joined);
    free(name);
    int fd = open(p->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    const char *at = source;
    size_t left = source_len;
    while (fd >= 0 && left > 0) {
      ssize_t w = write(fd, at, left);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) break;
      at += w, left -= (size_t)w;
    }
    if (fd < 0 || left > 0) {
      file_error(message, sizeof message, errno, "open", p->file);
      if (fd >= 0) close(fd);
      reply_spawn_error(id, parts[0], message);
      remove_work_dir(p);
      free(p);
      goto done;
    }
    close(fd);
  }
  char **argv = xrealloc(NULL, sizeof(char *) * (argc + 2));
  for (uint32_t i = 0; i < argc; i++) argv[i + 1] = replace_file(parts[i], p->file);
  argv[argc + 1] = NULL;
  const char *bin = argv[1];
  const char *path_env = getenv("PATH"), *lang = getenv("LANG");
  if (path_env == NULL) path_env = "/usr/local/bin:/usr/bin:/bin";
  char *envp[] = {join_with("PATH", '=', path_env), join_with("LANG", '=', lang ? lang : "C.UTF-8"), join_with("HOME", '=', p->dir), mark_env, NULL};
  int e = 0;
  /* What Node would name in the error: the resolved path, or the bare name it searched for. */
  char *spawnfile = strchr(bin, '/') != NULL ? resolve_path(bin) : NULL;
  char *path = spawnfile != NULL ? spawnfile : search_path(bin, path_env, p->dir, &e);
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (e == 0 && (stdio_pair(out) != 0 || stdio_pair(err) != 0)) e = errno;
  if (e == 0) {
    e = spawn_in(&p->pid, path, argv + 1, envp, p->dir, out[1], err[1]);
    if (e == ENOEXEC) {
      /* A script with no #! line: execvp (and so Node) hands it to the shell. */
      argv[0] = "/bin/sh";
      argv[1] = path;
      e = spawn_in(&p->pid, "/bin/sh", argv, envp, p->dir, out[1], err[1]);
      argv[1] = (char *)bin;
    }
  }
  close_fd(&out[1]);
  close_fd(&err[1]);
  if (e != 0) {
    if (reported_with_file(e)) snprintf(message, sizeof message, "spawn %s %s", spawnfile ? spawnfile : bin, errno_name(e));
    else snprintf(message, sizeof message, "spawn %s", errno_name(e));
    close_fd(&out[0]);
    close_fd(&err[0]);
    reply_spawn_error(id, reported_with_file(e) ? bin : parts[0], message);
    remove_work_dir(p);
    free(p);
  } else {
    p->out = out[0];
    p->err = err[0];
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    fcntl(p->err, F_SETFL, O_NONBLOCK);
    /* As timerMillis and Node's timers: past 2^31 - 1 ms no limit, under 1 ms 1 ms. */
    if (timeout >= 0 && timeout <= INT_MAX) p->deadline = now_ms() + (timeout < 1 ? 1 : timeout);
    p->next = programs;
    programs = p;
  }
  for (int i = 0; i < 3; i++) free(envp[i]);
  for (uint32_t i = 1; i <= argc; i++) free(argv[i]);
  free(argv);
  if (path != spawnfile) free(path);
  free(spawnfile);
done:
  for (uint32_t i = 0; i < argc; i++) free(parts[i]);
  free(parts);
  free(extension);
  free(source);
}

/* ---- the running programs ---- */

static void kill_group(pid_t pid) {
  if (pid > 0) kill(-pid, SIGKILL);
}

static void unlink_program(Program *p) {
  for (Program **at = &programs; *at != NULL; at = &(*at)->next)
    if (*at == p) {
      *at = p->next;
      break;
    }
  close_fd(&p->out);
  close_fd(&p->err);
  remove_work_dir(p);
  free(p->stdout_.data);
  free(p->stderr_.data);
  free(p);
}

static void finish(Program *p) {
  Buf b = {0};
  buf_u8(&b, OUT_RUN);
  buf_u32(&b, p->id);
  int code = p->timed_out || !WIFEXITED(p->status) ? -1 : WEXITSTATUS(p->status);
  buf_u32(&b, (uint32_t)code);
  double took = p->exited_at - p->started;
  buf_u32(&b, took < 0 ? 0 : (uint32_t)(took + 0.5));
  buf_u8(&b, (uint8_t)((p->timed_out ? 1 : 0) | (p->truncated ? 2 : 0)));
  buf_bytes(&b, p->stdout_.data ? p->stdout_.data : "", p->stdout_.len);
  buf_bytes(&b, p->stderr_.data ? p->stderr_.data : "", p->stderr_.len);
  /* The directory goes before the answer, as in the Node host: a caller sees it removed. */
  remove_work_dir(p);
  send_frame(&b);
  unlink_program(p);
}

static void cancel(uint32_t id) {
  for (Program *p = programs; p != NULL; p = p->next)
    if (p->id == id) {
      kill_group(p->pid);
      unlink_program(p);
      return;
    }
}

/* Reads what a pipe has; keeps up to the cap, reads on past it (and drops) so the program is not blocked. */
static void drain(Program *p, int *fd, Buf *into) {
  char chunk[65536];
  /* A bounded turn, so that one program printing fast cannot keep the others waiting. */
  for (int turn = 0; turn < 16; turn++) {
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      close_fd(fd);
      return;
    }
    size_t room = into->len < OUTPUT_CAP ? OUTPUT_CAP - into->len : 0;
    if ((size_t)n > room) p->truncated = 1;
    buf_add(into, chunk, (size_t)n > room ? room : (size_t)n);
  }
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    for (Program *p = programs; p != NULL; p = p->next)
      if (p->pid == pid && !p->exited) {
        p->exited = 1;
        p->status = status;
        p->exited_at = now_ms();
        /* Whatever it left in its group would hold the pipes open. */
        kill_group(pid);
        p->drain_at = p->exited_at + EXIT_DRAIN_MS;
        break;
      }
}

/* Kills what programs left running outside their groups: found by this host's mark in /proc. */
static void sweep_leftovers(void) {
  DIR *proc = opendir("/proc");
  if (proc == NULL) return;
  char needle[96];
  int needle_len = snprintf(needle, sizeof needle, "%c%s%c", 0, mark_env, 0);
  struct dirent *e;
  while ((e = readdir(proc)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char file[300];
    snprintf(file, sizeof file, "/proc/%s/environ", e->d_name);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    Buf env = {0};
    buf_u8(&env, 0);
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) buf_add(&env, chunk, (size_t)n);
    close(fd);
    buf_u8(&env, 0);
    if (memmem(env.data, env.len, needle, (size_t)needle_len) != NULL) kill((pid_t)atoi(e->d_name), SIGKILL);
    free(env.data);
  }
  closedir(proc);
}

/* For the harness benchmark: this host's CPU and its programs', apart (bench/measure-cli.mjs). */
static void write_usage(void) {
  const char *file = getenv("ILO_BENCH_HOST_USAGE");
  if (file == NULL || file[0] == 0) return;
  struct rusage self, children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
#define MS(tv) ((tv).tv_sec * 1e3 + (tv).tv_usec / 1e3)
  FILE *f = fopen(file, "a");
  if (f == NULL) return;
  fprintf(f, "{\"userMs\":%.3f,\"systemMs\":%.3f,\"maxRssKb\":%ld,\"childUserMs\":%.3f,\"childSystemMs\":%.3f}\n", MS(self.ru_utime),
          MS(self.ru_stime), self.ru_maxrss, MS(children.ru_utime), MS(children.ru_stime));
  fclose(f);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  if (write(sigchld_pipe[1], "", 1) < 0) { /* full: a wake-up is pending anyway */ }
  errno = saved;
}

static void handle_frames(Buf *in) {
  size_t at = 0;
  while (in->len - at >= 4) {
    const uint8_t *h = (const uint8_t *)in->data + at;
    uint32_t n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (in->len - at - 4 < n) break;
    Reader r = {h + 4, h + 4 + n, 0};
    uint8_t kind = rd_u8(&r);
    if (kind == REQ_RUN) start_program(&r);
    else if (kind == REQ_CANCEL) {
      uint32_t id = rd_u32(&r);
      if (!r.bad) cancel(id);
    } else r.bad = 1;
    if (r.bad) {
      fprintf(stderr, "ilo-bench program host: a malformed request (kind %u, %u bytes)\n", kind, n);
      exit(70);
    }
    at += 4 + (size_t)n;
  }
  memmove(in->data, in->data + at, in->len - at);
  in->len -= at;
}

int main(void) {
  if (getcwd(cwd, sizeof cwd) == NULL) die("getcwd");
  tmp_dir = getenv("TMPDIR");
  if (tmp_dir == NULL || tmp_dir[0] == 0) tmp_dir = getenv("TMP");
  if (tmp_dir == NULL || tmp_dir[0] == 0) tmp_dir = getenv("TEMP");
  if (tmp_dir == NULL || tmp_dir[0] == 0) tmp_dir = "/tmp";
  static char tmp_copy[4096];
  snprintf(tmp_copy, sizeof tmp_copy, "%s", tmp_dir);
  size_t tl = strlen(tmp_copy);
  if (tl > 1 && tmp_copy[tl - 1] == '/') tmp_copy[tl - 1] = 0;
  tmp_dir = tmp_copy;
  snprintf(mark_env, sizeof mark_env, "%s=%ld", MARK, (long)getpid());

  signal(SIGPIPE, SIG_IGN);
  if (cloexec_pipe(sigchld_pipe) != 0) die("pipe");
  fcntl(sigchld_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(sigchld_pipe[1], F_SETFL, O_NONBLOCK);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  Buf in = {0};
  struct pollfd *fds = NULL;
  Program **owners = NULL;
  size_t fds_cap = 0;
  for (;;) {
    size_t count = 0;
    for (Program *p = programs; p != NULL; p = p->next) count += 2;
    if (count + 3 > fds_cap) {
      fds_cap = (count + 3) * 2;
      fds = xrealloc(fds, sizeof *fds * fds_cap);
      owners = xrealloc(owners, sizeof *owners * fds_cap);
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sigchld_pipe[0], .events = POLLIN};
    /* Replies still to send: poll skips a negative fd. */
    fds[n++] = (struct pollfd){.fd = replies_sent < replies.len ? 1 : -1, .events = POLLOUT};
    double now = now_ms(), next = -1;
    for (Program *p = programs; p != NULL; p = p->next) {
      if (p->out >= 0) owners[n] = p, fds[n++] = (struct pollfd){.fd = p->out, .events = POLLIN};
      if (p->err >= 0) owners[n] = p, fds[n++] = (struct pollfd){.fd = p->err, .events = POLLIN};
      if (p->deadline >= 0 && (next < 0 || p->deadline < next)) next = p->deadline;
      if (p->drain_at >= 0 && (next < 0 || p->drain_at < next)) next = p->drain_at;
    }
    double until = next - now + 0.999;
    int wait = next < 0 ? -1 : next <= now ? 0 : until > INT_MAX ? INT_MAX : (int)until;
    if (poll(fds, (nfds_t)n, wait) < 0 && errno != EINTR) die("poll");

    if (fds[1].revents) {
      char sink[64];
      while (read(sigchld_pipe[0], sink, sizeof sink) > 0) {}
    }
    if (fds[2].revents) flush_replies();
    reap();
    for (size_t i = 3; i < n; i++)
      if (fds[i].revents) {
        Program *p = owners[i];
        if (fds[i].fd == p->out) drain(p, &p->out, &p->stdout_);
        else if (fds[i].fd == p->err) drain(p, &p->err, &p->stderr_);
      }
    now = now_ms();
    for (Program *p = programs, *after; p != NULL; p = after) {
      after = p->next;
      if (p->deadline >= 0 && now >= p->deadline) {
        p->deadline = -1;
        p->timed_out = 1;
        kill_group(p->pid);
      }
      if (p->drain_at >= 0 && now >= p->drain_at) {
        close_fd(&p->out);
        close_fd(&p->err);
      }
      if (p->exited && p->out < 0 && p->err < 0) finish(p);
    }
    if (fds[0].revents) {
      char chunk[65536];
      ssize_t got = read(0, chunk, sizeof chunk);
      if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (got > 0) {
        buf_add(&in, chunk, (size_t)got);
        handle_frames(&in);
        continue;
      }
      /* The harness is gone, however it went: nothing of ours may outlive it. */
      while (programs != NULL) {
        kill_group(programs->pid);
        unlink_program(programs);
      }
      sweep_leftovers();
      write_usage();
      free(in.data);
      free(replies.data);
      free(fds);
      free(owners);
      return 0;
    }
  }
}
