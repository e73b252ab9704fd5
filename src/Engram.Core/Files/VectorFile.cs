using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Engram.Core.Storage
{
    /// <summary>
    /// The binary vector file, <c>_vectors/&lt;namespace&gt;.vec</c> (docs/store-format.md). All integers are
    /// little-endian; strings are a 32-bit byte count and UTF-8.
    /// <code>
    /// "EVEC"            4 bytes, magic
    /// version           int32 = 1
    /// count             int32
    /// count × record:   key (string), contentHash (string), model (string), dimensions (int32), dimensions × float32
    /// </code>
    /// Records are sorted by key (ordinal).
    /// </summary>
    internal static class VectorFile
    {
        private static readonly byte[] Magic = { (byte)'E', (byte)'V', (byte)'E', (byte)'C' };
        internal const int Version = 1;
        private const int MaxDimensions = 1 << 16;
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        public static void Write(Stream stream, IReadOnlyList<StoredVector> vectors)
        {
            using (var w = new BinaryWriter(new BufferedStream(stream, 1 << 16), Utf8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write(vectors.Count);
                foreach (var v in vectors)
                {
                    WriteString(w, v.Key);
                    WriteString(w, v.ContentHash);
                    WriteString(w, v.Model);
                    w.Write(v.Vector.Length);
                    foreach (var f in v.Vector) w.Write(f);
                }
                w.Flush();
            }
        }

        private static void WriteString(BinaryWriter w, string s)
        {
            var b = Utf8.GetBytes(s);
            w.Write(b.Length);
            w.Write(b);
        }

        /// <summary>The vectors, or null when the bytes are not a vector file this build reads.</summary>
        public static List<StoredVector>? TryParse(byte[] bytes)
        {
            try
            {
                using (var r = new BinaryReader(new MemoryStream(bytes, false), Utf8))
                {
                    if (bytes.Length < 12 || bytes[0] != Magic[0] || bytes[1] != Magic[1] || bytes[2] != Magic[2] || bytes[3] != Magic[3]) return null;
                    r.ReadBytes(4);
                    if (r.ReadInt32() != Version) return null;
                    int count = r.ReadInt32();
                    if (count < 0) return null;
                    var list = new List<StoredVector>(Math.Min(count, 4096));
                    for (int i = 0; i < count; i++)
                    {
                        var key = ReadString(r, bytes.Length);
                        var hash = ReadString(r, bytes.Length);
                        var model = ReadString(r, bytes.Length);
                        int dims = r.ReadInt32();
                        if (dims < 0 || dims > MaxDimensions || (long)dims * 4 > bytes.Length - r.BaseStream.Position) return null;
                        var vector = new float[dims];
                        for (int d = 0; d < dims; d++) vector[d] = r.ReadSingle();
                        list.Add(new StoredVector(key, hash, model, vector));
                    }
                    return r.BaseStream.Position == bytes.Length ? list : null;
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException || ex is IOException || ex is ArgumentException || ex is DecoderFallbackException)
            {
                return null;
            }
        }

        private static string ReadString(BinaryReader r, long total)
        {
            int n = r.ReadInt32();
            if (n < 0 || n > total - r.BaseStream.Position) throw new EndOfStreamException();
            return Utf8.GetString(r.ReadBytes(n));
        }
    }
}
