using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>The SQL storage's embedding vectors: the <c>vectors</c> table, one row per memory (its vector as
    /// little-endian float32s), deleted with the memory's row.</summary>
    public sealed partial class SqlStorage : IVectorStore
    {
        public IReadOnlyList<StoredVector> ReadVectors(string ns)
        {
            using (var view = new SqlView(this, OpenDb()))
                return view.Read(db => db.Query("SELECT key, content_hash, model, vector FROM vectors WHERE ns = @ns",
                            r => new StoredVector(r.GetString(0), r.GetString(1), r.GetString(2), FromBytes((byte[])r.GetValue(3))), ("ns", ns)),
                        new List<StoredVector>())
                    .OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
        }

        /// <summary>One write session: each vector replaces its key's row, when the key's memory exists.</summary>
        public void WriteVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            using (var s = (SqlWrite)BeginWrite())
            {
                s.Read(db =>
                {
                    foreach (var v in vectors)
                    {
                        db.Exec("DELETE FROM vectors WHERE ns = @ns AND key = @key", ("ns", ns), ("key", v.Key));
                        db.Exec("INSERT INTO vectors (ns, key, content_hash, model, vector) SELECT @ns, @key, @h, @m, @v WHERE EXISTS (SELECT 1 FROM memories WHERE ns = @ns AND key = @key)",
                            ("ns", ns), ("key", v.Key), ("h", v.ContentHash), ("m", v.Model), ("v", ToBytes(v.Vector)));
                    }
                    return 0;
                }, 0);
                s.Commit();
            }
        }

        private static byte[] ToBytes(float[] v)
        {
            var bytes = new byte[v.Length * 4];
            for (int i = 0; i < v.Length; i++)
            {
                var b = BitConverter.GetBytes(v[i]);
                if (!BitConverter.IsLittleEndian) Array.Reverse(b);
                Buffer.BlockCopy(b, 0, bytes, i * 4, 4);
            }
            return bytes;
        }

        private static float[] FromBytes(byte[] bytes)
        {
            var v = new float[bytes.Length / 4];
            for (int i = 0; i < v.Length; i++)
            {
                if (BitConverter.IsLittleEndian) v[i] = BitConverter.ToSingle(bytes, i * 4);
                else { var b = new byte[4]; Buffer.BlockCopy(bytes, i * 4, b, 0, 4); Array.Reverse(b); v[i] = BitConverter.ToSingle(b, 0); }
            }
            return v;
        }
    }
}
