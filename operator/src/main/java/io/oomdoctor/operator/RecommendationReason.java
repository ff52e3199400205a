package io.oomdoctor.operator;

/** Why a recommendation was not applied (the {@code reason} of a recommendation). */
public enum RecommendationReason {
  ModeObserve,
  ModeRecommend,
  NoLimitChange,
  LeakAlreadyRaised,
  AtMaxLimit,
  BarePod,
  NotPatchable,
  GitOpsManaged,
  Cooldown,
  ApplyDisabled,
  NamespaceExcluded,
  WorkloadGone
}
