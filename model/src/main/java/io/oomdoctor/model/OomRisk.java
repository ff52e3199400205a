package io.oomdoctor.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A risk a node agent sees before any kill: a container whose working set stays near its limit,
 * whose growth meets the limit soon, whose cgroup is under memory pressure, whose tmpfs grows
 * toward the limit, or whose runtime is configured past its limit at start. The agent writes the
 * figures (spec) and keeps them current while the risk lasts; the operator checks them against the
 * live pod and writes the Event and the status.
 */
@Group(OomKill.GROUP)
@Version(OomKill.VERSION)
@Kind("OomRisk")
@Plural("oomrisks")
@Singular("oomrisk")
@ShortNames("oomr")
@Categories("oomdoctor")
@AdditionalPrinterColumn(
    name = "POD",
    jsonPath = ".spec.pod.name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "CONTAINER",
    jsonPath = ".spec.pod.container",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "RISK",
    jsonPath = ".spec.risk",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "STATE",
    jsonPath = ".spec.state",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "ETA",
    jsonPath = ".spec.etaSeconds",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "TRUST",
    jsonPath = ".status.trust",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class OomRisk extends CustomResource<OomRiskSpec, OomRiskStatus> implements Namespaced {
  /** Working set (usage less inactive file cache) at or above a share of the limit, sustained. */
  public static final String NEAR_LIMIT = "WorkingSetNearLimit";

  /** A steady growth of the working set whose extrapolation meets the limit within a horizon. */
  public static final String LIMIT_IN_SIGHT = "LimitInSight";

  /** The kernel reports the cgroup stalled on memory (v2 memory.pressure, v1 failcnt at limit). */
  public static final String PRESSURE = "MemoryPressure";

  /** tmpfs (shared memory, emptyDir medium Memory) growing toward the limit. */
  public static final String TMPFS = "TmpfsGrowth";

  /** A runtime's own memory cap does not fit the limit, seen when the container started. */
  public static final String MISCONFIGURED = "MemoryMisconfigured";

  public static final String ACTIVE = "Active";
  public static final String CLEARED = "Cleared";
}
