package io.oomdoctor.agent.cgroup;

/**
 * The slower-changing figures of one cgroup, read every few sampling passes: its limit, what of its
 * usage is inactive file cache and tmpfs, and how hard the kernel works to keep it under the limit.
 *
 * @param limitBytes memory.max / memory.limit_in_bytes; -1 unlimited or unknown
 * @param inactiveFileBytes the part of usage the kernel reclaims first (0 when unknown)
 * @param shmemBytes tmpfs and shared memory charged to the cgroup (0 when unknown)
 * @param pressureSomeAvg60 cgroup v2 memory.pressure "some avg60" (percent), or null
 * @param failcnt cgroup v1 memory.failcnt, or null
 */
public record CgroupFigures(
    long limitBytes,
    long inactiveFileBytes,
    long shmemBytes,
    Double pressureSomeAvg60,
    Long failcnt) {

  public static final CgroupFigures NONE = new CgroupFigures(-1, 0, 0, null, null);
}
