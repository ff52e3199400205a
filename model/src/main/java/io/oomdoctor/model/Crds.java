package io.oomdoctor.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The project's CustomResourceDefinitions as generated from these classes (crds/ and the chart's
 * crds/ hold the same files): one list for every server, test and chart check that needs them.
 */
public final class Crds {
  private Crds() {}

  /** The generated files' names, one per resource. */
  public static final List<String> FILES =
      List.of(
          "oomkills.oomdoctor.io-v1.yml",
          "oompolicies.oomdoctor.io-v1.yml",
          "oomrisks.oomdoctor.io-v1.yml");

  /** Where the generator puts them on the classpath. */
  public static final String CLASSPATH_DIR = "META-INF/fabric8/";

  /** One generated CRD as YAML, from the classpath. */
  public static InputStream open(String file) {
    InputStream in = Crds.class.getClassLoader().getResourceAsStream(CLASSPATH_DIR + file);
    if (in == null) {
      throw new UncheckedIOException(
          new IOException("the generated CRD " + file + " is not on the classpath"));
    }
    return in;
  }
}
