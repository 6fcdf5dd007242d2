// A generator split, as in Weir's generator source: the indices i with
// i mod `of` = `split`, from `next` on. Its serializer writes the three longs.
package dev.weir.bench.flink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

public final class GeneratorSplit implements SourceSplit {
  public final int split;
  public final int of;
  /** The next index to emit. */
  public long next;

  public GeneratorSplit(int split, int of, long next) {
    this.split = split;
    this.of = of;
    this.next = next;
  }

  @Override
  public String splitId() {
    return split + "/" + of;
  }

  GeneratorSplit copy() {
    return new GeneratorSplit(split, of, next);
  }

  /** Serializes one split. */
  static final class Serializer implements SimpleVersionedSerializer<GeneratorSplit> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(GeneratorSplit s) throws IOException {
      return ListSerializer.write(List.of(s));
    }

    @Override
    public GeneratorSplit deserialize(int version, byte[] bytes) throws IOException {
      return ListSerializer.read(bytes).get(0);
    }
  }

  /** Serializes the enumerator's unassigned splits. */
  static final class ListSerializer implements SimpleVersionedSerializer<List<GeneratorSplit>> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(List<GeneratorSplit> splits) throws IOException {
      return write(splits);
    }

    @Override
    public List<GeneratorSplit> deserialize(int version, byte[] bytes) throws IOException {
      return read(bytes);
    }

    static byte[] write(List<GeneratorSplit> splits) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(splits.size());
        for (GeneratorSplit s : splits) {
          out.writeInt(s.split);
          out.writeInt(s.of);
          out.writeLong(s.next);
        }
      }
      return bytes.toByteArray();
    }

    static List<GeneratorSplit> read(byte[] data) throws IOException {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        int n = in.readInt();
        List<GeneratorSplit> splits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) splits.add(new GeneratorSplit(in.readInt(), in.readInt(), in.readLong()));
        return splits;
      }
    }
  }
}
