package io.oomdoctor.model;

/**
 * Size bounds of every OomKill field, shared by the CRD schema (so that the API server refuses
 * anything larger) and the node agent (which fits its evidence into them before writing).
 */
public final class Bounds {
  /** Object names, namespaces, node names (DNS subdomain). */
  public static final int NAME = 253;

  /** Label values and container names (DNS label). */
  public static final int LABEL = 63;

  /** A kernel process name as printed: 15 bytes, each escaped as up to four characters. */
  public static final int COMM = 64;

  /** Short machine words: kinds, enums, allocation flags, UIDs, container IDs. */
  public static final int WORD = 128;

  /** A cgroup path as the kernel prints it. */
  public static final int PATH = 1024;

  /** Sentences written by the operator (summary, fix). */
  public static final int TEXT = 4096;

  /** Rows of the kernel's task table kept in a report (the victim always among them). */
  public static final int TASKS = 200;

  /** memory.stat keys kept from a report or a cgroup. */
  public static final int STATS = 128;

  /** Labels of a pod kept in a kill. */
  public static final int LABELS = 64;

  /** Points of a memory trend, and other short lists. */
  public static final int LIST = 64;

  private Bounds() {}
}
