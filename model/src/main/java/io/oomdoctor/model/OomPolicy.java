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
 * Which workloads of a namespace OOM Doctor looks after, and what it does about their OOM kills:
 * observe, recommend a limit, or apply it.
 */
@Group(OomKill.GROUP)
@Version(OomKill.VERSION)
@Kind("OomPolicy")
@Plural("oompolicies")
@Singular("oompolicy")
@ShortNames("oompol")
@Categories("oomdoctor")
@AdditionalPrinterColumn(
    name = "MODE",
    jsonPath = ".spec.mode",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "WORKLOADS",
    jsonPath = ".status.workloads",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "KILLS",
    jsonPath = ".status.killsSeen",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "RECOMMENDATIONS",
    jsonPath = ".status.recommendationCount",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class OomPolicy extends CustomResource<OomPolicySpec, OomPolicyStatus>
    implements Namespaced {}
