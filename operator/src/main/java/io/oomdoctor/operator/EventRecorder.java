package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events the way {@code kubectl describe} shows them. Occurrences with the same key
 * (same object, same reason, same cause) within the aggregation window update one Event's count
 * instead of adding Events; each Event remembers which occurrences it counted, so that a retried
 * reconcile never counts one twice.
 */
public final class EventRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  public static final String COMPONENT = "oomdoctor";
  static final String KEY_LABEL = "oomdoctor.io/event-key";
  static final String COUNTED_ANNOTATION = "oomdoctor.io/occurrences";
  private static final int REMEMBERED = 20;

  private final KubernetesClient client;
  private final Duration window;
  private final Clock clock;
  private final String instance;

  public EventRecorder(KubernetesClient client, Duration window, Clock clock, String instance) {
    this.client = client;
    this.window = window;
    this.clock = clock;
    this.instance = instance;
  }

  /**
   * Records one occurrence.
   *
   * @param namespace namespace of the Event (the object's, or "default" for cluster objects)
   * @param involved the object the Event is about
   * @param type Warning or Normal
   * @param reason CamelCase reason
   * @param aggregationKey occurrences with equal keys are counted on one Event
   * @param occurrence an id of this occurrence (e.g. the OomKill's name)
   * @param message what {@code kubectl describe} shows
   * @return the Event as written
   */
  public Event record(
      String namespace,
      ObjectReference involved,
      String type,
      String reason,
      String aggregationKey,
      String occurrence,
      String message) {
    return record(namespace, involved, type, reason, aggregationKey, occurrence, message, 1);
  }

  /**
   * As {@link #record(String, ObjectReference, String, String, String, String, String)}, for an
   * occurrence that stands for {@code times} of them (an OomKill the agent coalesced kills into).
   */
  public Event record(
      String namespace,
      ObjectReference involved,
      String type,
      String reason,
      String aggregationKey,
      String occurrence,
      String message,
      int times) {
    String key =
        hash(
            involved.getKind()
                + "/"
                + involved.getName()
                + "/"
                + involved.getUid()
                + "/"
                + reason
                + "/"
                + aggregationKey);
    Instant now = clock.instant();
    String nowText = now.toString();
    List<Event> same =
        client.v1().events().inNamespace(namespace).withLabel(KEY_LABEL, key).list().getItems();
    // An occurrence counted before (an operator restarted, a kill assessed again) is never counted
    // twice, however old its Event.
    Optional<Event> before = same.stream().filter(e -> counted(e).contains(occurrence)).findFirst();
    if (before.isPresent()) {
      return before.get();
    }
    Optional<Event> recent =
        same.stream()
            .filter(e -> e.getLastTimestamp() != null)
            .max(Comparator.comparing(e -> Instant.parse(e.getLastTimestamp())))
            .filter(e -> Instant.parse(e.getLastTimestamp()).isAfter(now.minus(window)));
    if (recent.isPresent()) {
      Event e = recent.get();
      List<String> counted = counted(e);
      if (counted.contains(occurrence)) {
        return e;
      }
      counted.add(occurrence);
      while (counted.size() > REMEMBERED) {
        counted.remove(0);
      }
      e.getMetadata().getAnnotations().put(COUNTED_ANNOTATION, String.join(",", counted));
      e.setCount((e.getCount() == null ? 1 : e.getCount()) + times);
      e.setLastTimestamp(nowText);
      e.setMessage(message);
      try {
        return client.v1().events().inNamespace(namespace).resource(e).update();
      } catch (KubernetesClientException ex) {
        if (ex.getCode() == 409 || ex.getCode() == 404) {
          LOG.debug("Event {} changed meanwhile; recording again", e.getMetadata().getName());
          return record(
              namespace, involved, type, reason, aggregationKey, occurrence, message, times);
        }
        throw ex;
      }
    }
    Map<String, String> annotations = new HashMap<>();
    annotations.put(COUNTED_ANNOTATION, occurrence);
    Event created =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                involved.getName()
                    + "."
                    + key.substring(0, 10)
                    + "."
                    + Long.toHexString(now.toEpochMilli()))
            .withNamespace(namespace)
            .addToLabels(KEY_LABEL, key)
            .withAnnotations(annotations)
            .endMetadata()
            .withInvolvedObject(involved)
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withCount(times)
            .withFirstTimestamp(nowText)
            .withLastTimestamp(nowText)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent("oomdoctor.io/operator")
            .withReportingInstance(instance)
            .build();
    try {
      return client.v1().events().inNamespace(namespace).resource(created).create();
    } catch (KubernetesClientException ex) {
      if (ex.getCode() == 409) {
        return client
            .v1()
            .events()
            .inNamespace(namespace)
            .withName(created.getMetadata().getName())
            .get();
      }
      throw ex;
    }
  }

  private static List<String> counted(Event e) {
    if (e.getMetadata().getAnnotations() == null) {
      e.getMetadata().setAnnotations(new HashMap<>());
    }
    String v = e.getMetadata().getAnnotations().get(COUNTED_ANNOTATION);
    return v == null || v.isEmpty()
        ? new ArrayList<>()
        : new ArrayList<>(Arrays.asList(v.split(",")));
  }

  static String hash(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
