package io.oomdoctor.operator;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared copy of values that many OomKills repeat — namespaces, containers, causes, workload
 * references, label sets, fixes — so that the operator's memory grows with the kills' distinct
 * values, not with the kills. Bounded: when full it starts afresh (a value then held twice costs
 * memory, never correctness). Values must not be changed once interned.
 */
final class Interner {
  static final int DEFAULT_CAPACITY = 50_000;

  private final int capacity;
  private final ConcurrentHashMap<Object, Object> values = new ConcurrentHashMap<>();

  Interner(int capacity) {
    this.capacity = capacity;
  }

  @SuppressWarnings("unchecked")
  <T> T of(T value) {
    if (value == null) {
      return null;
    }
    if (values.size() >= capacity) {
      values.clear();
    }
    Object known = values.putIfAbsent(value, value);
    return known == null ? value : (T) known;
  }

  int size() {
    return values.size();
  }
}
