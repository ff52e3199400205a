package io.oomdoctor.operator;

/** The condition types the operator writes into the status of its resources. */
public enum ConditionType {
  /** OomKill: the evidence was diagnosed (False: it contradicts the cluster). */
  Diagnosed,
  /** OomKill: the operator vouches for the kill (its reason is a {@link TrustReason}). */
  Verified,
  /** OomPolicy: in effect. */
  Ready,
  /** OomPolicy: not in effect, with the reason ({@code InvalidSpec}, {@code Conflict}). */
  Invalid
}
