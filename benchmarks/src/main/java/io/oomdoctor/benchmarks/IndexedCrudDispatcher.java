package io.oomdoctor.benchmarks;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fabric8 CRUD mock server's dispatcher, made usable at 100,000 objects for the scale
 * benchmark: the stock one looks at every stored object for every request (a GET by name, a patch,
 * a create), and answers a list with all items at once. This one keeps its store indexed by name
 * and namespace (so a request looks at the objects of that name or namespace only) and answers
 * lists that ask for a {@code limit} in pages with a {@code continue} token, as the API server
 * does. Everything else — the semantics of create, patch, status, watch — is the stock
 * dispatcher's.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  /** The name or namespace the request at hand is about, for the store's candidates. */
  private static final ThreadLocal<AttributeSet> QUERY = new ThreadLocal<>();

  private final IndexedMap store = new IndexedMap();

  IndexedCrudDispatcher() {
    super(List.of());
    try {
      Field f = CrudDispatcher.class.getDeclaredField("map");
      f.setAccessible(true);
      f.set(this, store);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot index the mock server's store", e);
    }
  }

  @Override
  public MockResponse handleGet(String path) {
    Map<String, String> params = params(path);
    AttributeSet query = attributeExtractor.fromPath(path);
    if (params.containsKey("limit") && !query.containsKey("name")) {
      return page(query, Integer.parseInt(params.get("limit")), params.get("continue"));
    }
    return hinted(query, () -> super.handleGet(path));
  }

  @Override
  public MockResponse handleDelete(String path) {
    return hinted(attributeExtractor.fromPath(path), () -> super.handleDelete(path));
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    return hinted(query, () -> super.findResource(query));
  }

  private static <T> T hinted(AttributeSet query, java.util.function.Supplier<T> call) {
    AttributeSet before = QUERY.get();
    QUERY.set(query);
    try {
      return call.get();
    } finally {
      QUERY.set(before);
    }
  }

  /**
   * One page of a list: the matching items in the store's order, from the position (among the
   * candidates) that the token names.
   */
  private MockResponse page(AttributeSet query, int limit, String token) {
    int from = token == null || token.isEmpty() ? 0 : Integer.parseInt(token);
    List<String> items = new ArrayList<>();
    int position = 0;
    boolean more = false;
    synchronized (store) {
      for (Map.Entry<AttributeSet, String> e : store.candidates(query)) {
        if (position++ < from || !e.getKey().matches(query)) {
          continue;
        }
        if (items.size() == limit) {
          more = true;
          position--;
          break;
        }
        items.add(e.getValue());
      }
    }
    StringBuilder body = new StringBuilder(64 + items.stream().mapToInt(String::length).sum());
    body.append("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"")
        .append(requestResourceVersion())
        .append('"');
    if (more) {
      body.append(",\"continue\":\"").append(position).append('"');
    }
    body.append("},\"items\":[");
    for (int i = 0; i < items.size(); i++) {
      body.append(i == 0 ? "" : ",").append(items.get(i));
    }
    body.append("]}");
    return new MockResponse().setResponseCode(200).setBody(body.toString());
  }

  private static Map<String, String> params(String path) {
    Map<String, String> out = new HashMap<>();
    String q = URI.create(path).getRawQuery();
    if (q == null) {
      return out;
    }
    for (String kv : q.split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        out.put(
            kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** The attribute's value within the object's kind: {@code pods|web-1}. */
  static String scoped(AttributeSet set, String key) {
    String v = value(set, key);
    String kind = value(set, "plural");
    return v == null || kind == null ? null : kind + "|" + v;
  }

  static String value(AttributeSet set, String key) {
    Attribute a = set.getAttribute(key);
    return a == null || a.getValues().isEmpty() ? null : a.getValues().get(0).toString();
  }

  /**
   * The store: all objects in insertion order, plus the keys of each name and of each namespace.
   * Its entry set, asked while a request is at hand, holds only the candidates for that request.
   */
  static final class IndexedMap extends AbstractMap<AttributeSet, String> {
    private final LinkedHashMap<AttributeSet, String> all = new LinkedHashMap<>();
    private final Map<String, Set<AttributeSet>> byName = new HashMap<>();
    private final Map<String, Set<AttributeSet>> byNamespace = new HashMap<>();
    private final Map<String, Set<AttributeSet>> byKind = new HashMap<>();

    @Override
    public synchronized String put(AttributeSet key, String value) {
      String old = all.put(key, value);
      if (old == null) {
        index(byName, scoped(key, "name"), key);
        index(byNamespace, scoped(key, "namespace"), key);
        index(byKind, value(key, "plural"), key);
      }
      return old;
    }

    @Override
    public synchronized String get(Object key) {
      return all.get(key);
    }

    @Override
    public synchronized boolean containsKey(Object key) {
      return all.containsKey(key);
    }

    @Override
    public synchronized String remove(Object key) {
      String old = all.remove(key);
      if (old != null) {
        AttributeSet k = (AttributeSet) key;
        unindex(byName, scoped(k, "name"), k);
        unindex(byNamespace, scoped(k, "namespace"), k);
        unindex(byKind, value(k, "plural"), k);
      }
      return old;
    }

    @Override
    public synchronized void clear() {
      all.clear();
      byName.clear();
      byNamespace.clear();
      byKind.clear();
    }

    @Override
    public synchronized int size() {
      return all.size();
    }

    @Override
    public synchronized Set<Map.Entry<AttributeSet, String>> entrySet() {
      AttributeSet query = QUERY.get();
      if (query == null) {
        return new LinkedHashMap<>(all).entrySet();
      }
      LinkedHashMap<AttributeSet, String> some = new LinkedHashMap<>();
      for (Map.Entry<AttributeSet, String> e : candidates(query)) {
        some.put(e.getKey(), e.getValue());
      }
      return some.entrySet();
    }

    /**
     * The objects a query can match: those of its kind and name, else of its kind and namespace,
     * else of its kind, else all.
     */
    Iterable<Map.Entry<AttributeSet, String>> candidates(AttributeSet query) {
      String kind = value(query, "plural");
      Set<AttributeSet> keys = null;
      if (kind != null) {
        String name = scoped(query, "name");
        String ns = scoped(query, "namespace");
        Map<String, Set<AttributeSet>> index =
            name != null ? byName : ns != null ? byNamespace : byKind;
        keys = index.getOrDefault(name != null ? name : ns != null ? ns : kind, Set.of());
      }
      if (keys == null) {
        return all.entrySet();
      }
      Set<AttributeSet> of = keys;
      return new AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<AttributeSet, String>> iterator() {
          Iterator<AttributeSet> it = of.iterator();
          return new Iterator<>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public Map.Entry<AttributeSet, String> next() {
              AttributeSet k = it.next();
              return Map.entry(k, all.get(k));
            }
          };
        }

        @Override
        public int size() {
          return of.size();
        }
      };
    }

    private static void index(Map<String, Set<AttributeSet>> index, String v, AttributeSet key) {
      if (v != null) {
        index.computeIfAbsent(v, x -> new LinkedHashSet<>()).add(key);
      }
    }

    private static void unindex(Map<String, Set<AttributeSet>> index, String v, AttributeSet key) {
      Set<AttributeSet> keys = v == null ? null : index.get(v);
      if (keys != null) {
        keys.remove(key);
        if (keys.isEmpty()) {
          index.remove(v);
        }
      }
    }
  }
}
