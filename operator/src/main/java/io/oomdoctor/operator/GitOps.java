package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.Map;

/**
 * Detects workloads that a GitOps tool keeps in line with Git: patching those would be undone at
 * the next sync (or fight it), so the operator proposes the change instead.
 */
public final class GitOps {
  private GitOps() {}

  /** "Argo CD" or "Flux" when the object is managed by one, else null. */
  public static String managedBy(HasMetadata object) {
    ObjectMeta m = object.getMetadata();
    Map<String, String> labels = m.getLabels() == null ? Map.of() : m.getLabels();
    Map<String, String> annotations = m.getAnnotations() == null ? Map.of() : m.getAnnotations();
    if (annotations.containsKey("argocd.argoproj.io/tracking-id")
        || labels.containsKey("argocd.argoproj.io/instance")
        || "argocd".equalsIgnoreCase(labels.get("app.kubernetes.io/managed-by"))
        || annotations.keySet().stream().anyMatch(k -> k.startsWith("argocd.argoproj.io/"))) {
      return "Argo CD";
    }
    if (labels.keySet().stream()
            .anyMatch(
                k ->
                    k.startsWith("kustomize.toolkit.fluxcd.io/")
                        || k.startsWith("helm.toolkit.fluxcd.io/"))
        || "flux".equalsIgnoreCase(labels.get("app.kubernetes.io/managed-by"))) {
      return "Flux";
    }
    if (m.getManagedFields() != null) {
      for (ManagedFieldsEntry f : m.getManagedFields()) {
        String manager = f.getManager() == null ? "" : f.getManager();
        if (manager.startsWith("argocd")) {
          return "Argo CD";
        }
        if (manager.equals("kustomize-controller") || manager.equals("helm-controller")) {
          return "Flux";
        }
      }
    }
    return null;
  }
}
