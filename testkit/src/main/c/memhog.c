/*
 * memhog: a process whose memory behaviour tests and the demo control, so that the kernel's OOM
 * killer acts on it for real.
 *
 *   memhog [--step-mb N] [--interval-ms N] [--max-mb N] [--start-mb N] [--child] [--name NAME]
 *          [--tmpfs-dir DIR] [--file-dir DIR] [--ready-file F] [--storm-per-min N]
 *          [--workers-every-ms N] [--burst-mb N] [ignored args...]
 *
 * Allocates and touches --step-mb MiB every --interval-ms until --max-mb (0: no end), then holds.
 * --start-mb allocates that much at once first (a startup spike). --child does the allocating in
 * a forked child while the parent (the container's "PID 1") waits and lives on after the child is
 * killed. --name sets the process name (comm) of the allocating process. --tmpfs-dir writes the
 * memory as files into a tmpfs instead (shared memory); --file-dir writes page cache to a disk
 * directory. --storm-per-min forks that many children a minute, each allocating --step-mb MiB at
 * once (more than the cgroup's limit: each is OOM-killed), reaps them and lives on: an OOM storm.
 * --workers-every-ms starts a worker that often, as a prefork server does: each allocates
 * --step-mb MiB once and then holds it, flat; the parent lives on. --burst-mb, once --max-mb is
 * held and 5 s have passed (a warm-up), serves a request every --interval-ms that needs between 1
 * and N MiB more for a moment (allocated, touched, freed), as a server at a steady load does.
 * Unknown arguments are ignored, so tests can put runtime flags (-Xmx…) on the command
 * line for the agent to find.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long step_mb = 4, interval_ms = 20, max_mb = 0, start_mb = 0;
static int child_mode = 0;
static long storm_per_min = 0;
static long workers_every_ms = 0;
static long burst_mb = 0;
static const char *name = NULL, *tmpfs_dir = NULL, *file_dir = NULL, *ready_file = NULL;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

static void *volatile keep;

static void touch_alloc(long mb) {
  if (mb <= 0) return;
  size_t n = (size_t)mb << 20;
  /* volatile: the stores must reach memory, or the compiler drops them as dead. */
  volatile char *p = malloc(n);
  if (!p) {
    perror("malloc");
    exit(3);
  }
  for (size_t i = 0; i < n; i += 4096) p[i] = (char)(i >> 12 | 1);
  keep = (void *)p;
}

static void write_file(const char *dir, long index, long mb) {
  char path[4096];
  snprintf(path, sizeof path, "%s/memhog-%d-%ld", dir, (int)getpid(), index);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) {
    perror("open");
    exit(4);
  }
  static char buf[1 << 20];
  memset(buf, 'x', sizeof buf);
  for (long i = 0; i < mb; i++) {
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
      perror("write");
      exit(5);
    }
  }
  close(fd);
}

static void hog(void) {
  if (name) prctl(PR_SET_NAME, name, 0, 0, 0);
  touch_alloc(start_mb);
  if (ready_file) {
    int fd = open(ready_file, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
  }
  long total = start_mb, index = 0, warm = 0;
  for (;;) {
    if (max_mb == 0 || total < max_mb) {
      long mb = step_mb;
      if (max_mb > 0 && total + mb > max_mb) mb = max_mb - total;
      if (tmpfs_dir) write_file(tmpfs_dir, index++, mb);
      else if (file_dir) write_file(file_dir, index++, mb);
      else touch_alloc(mb);
      total += mb;
    } else if (burst_mb > 0 && (warm += interval_ms) > 5000) {
      long mb = 1 + random() % burst_mb;
      size_t n = (size_t)mb << 20;
      /* mmap, not malloc: freed, it goes back to the kernel at once (malloc may keep it) */
      volatile char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        munmap((void *)p, n);
      }
    }
    sleep_ms(interval_ms);
  }
}

static void set_oom_score_adj(const char *v) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY);
  if (fd >= 0) {
    /* Lowering it needs CAP_SYS_RESOURCE: without, the children's 1000 still makes them the
       victims. */
    if (write(fd, v, strlen(v)) < 0) {
    }
    close(fd);
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--step-mb") && v) step_mb = atol(argv[++i]);
    else if (!strcmp(a, "--interval-ms") && v) interval_ms = atol(argv[++i]);
    else if (!strcmp(a, "--max-mb") && v) max_mb = atol(argv[++i]);
    else if (!strcmp(a, "--start-mb") && v) start_mb = atol(argv[++i]);
    else if (!strcmp(a, "--name") && v) name = argv[++i];
    else if (!strcmp(a, "--tmpfs-dir") && v) tmpfs_dir = argv[++i];
    else if (!strcmp(a, "--file-dir") && v) file_dir = argv[++i];
    else if (!strcmp(a, "--ready-file") && v) ready_file = argv[++i];
    else if (!strcmp(a, "--child")) child_mode = 1;
    else if (!strcmp(a, "--storm-per-min") && v) storm_per_min = atol(argv[++i]);
    else if (!strcmp(a, "--workers-every-ms") && v) workers_every_ms = atol(argv[++i]);
    else if (!strcmp(a, "--burst-mb") && v) burst_mb = atol(argv[++i]);
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  srandom((unsigned)getpid());
  if (workers_every_ms > 0) {
    for (;;) {
      pid_t c = fork();
      if (c == 0) {
        if (name) prctl(PR_SET_NAME, name, 0, 0, 0);
        touch_alloc(step_mb);
        for (;;) pause();
      }
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      sleep_ms(workers_every_ms);
    }
  }
  if (storm_per_min > 0) {
    /* The parent is never the victim (root may lower its score); each child asks to be. */
    set_oom_score_adj("-1000");
    long gap_us = 60000000L / storm_per_min;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
      pid_t c = fork();
      if (c == 0) {
        set_oom_score_adj("1000");
        touch_alloc(step_mb);
        _exit(0); /* not reached when the limit is below step_mb */
      }
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      next.tv_nsec += gap_us * 1000L;
      while (next.tv_nsec >= 1000000000L) {
        next.tv_nsec -= 1000000000L;
        next.tv_sec++;
      }
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
      }
    }
  }
  if (!child_mode) {
    hog();
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    hog();
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) printf("child %d killed by signal %d\n", (int)pid, WTERMSIG(status));
  /* PID 1 of a container lives on: hold until told to stop. */
  for (;;) pause();
}
