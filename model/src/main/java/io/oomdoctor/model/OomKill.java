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
 * One kernel OOM kill on a node: the evidence the node agent collected (spec) and, once the
 * operator has looked at it, the diagnosis (status).
 */
@Group(OomKill.GROUP)
@Version(OomKill.VERSION)
@Kind("OomKill")
@Plural("oomkills")
@Singular("oomkill")
@ShortNames("oomk")
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
    name = "PROCESS",
    jsonPath = ".spec.report.process",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "LIMIT",
    jsonPath = ".spec.limit",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "CAUSE",
    jsonPath = ".status.cause",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class OomKill extends CustomResource<OomKillSpec, OomKillStatus> implements Namespaced {
  public static final String GROUP = "oomdoctor.io";
  public static final String VERSION = "v1alpha1";

  /** Label naming the node that reported the kill (also checked by the admission policy). */
  public static final String LABEL_NODE = "oomdoctor.io/node";

  /** Label carrying the pod's UID, so that all kills of one pod can be listed. */
  public static final String LABEL_POD_UID = "oomdoctor.io/pod-uid";

  /** Label carrying the container name. */
  public static final String LABEL_CONTAINER = "oomdoctor.io/container";
}
