using System;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Npgsql;

namespace Engram.Benchmarks
{
    /// <summary>
    /// The floor of a tracked write on PostgreSQL: one transaction through Npgsql, without Engram, that writes the two
    /// rows a tracked Set writes (the memory's row, updated with a ready-made document, and one history row), on a
    /// copy of the memory under another key of the same store.
    /// </summary>
    public sealed class BareTransaction
    {
        private readonly string _connection;
        private readonly string _ns, _key, _id, _memoryDoc, _entryDoc, _hash;
        private long _seq;

        private BareTransaction(string connection, string ns, string key, string id, string memoryDoc, string entryDoc, string hash)
        {
            _connection = connection;
            _ns = ns;
            _key = key;
            _id = id;
            _memoryDoc = memoryDoc;
            _entryDoc = entryDoc;
            _hash = hash;
        }

        /// <summary>A bare writer for the rows of <paramref name="key"/> (which must be tracked): its documents copied, under "&lt;key&gt;-bare".</summary>
        public static BareTransaction For(IEngramStore store, string connection, string ns, string key)
        {
            string memoryDoc, entryDoc;
            using (var c = new NpgsqlConnection(connection))
            {
                c.Open();
                memoryDoc = Scalar(c, "SELECT doc FROM memories WHERE ns = @ns AND key = @key", ns, key);
                entryDoc = Scalar(c, "SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq DESC LIMIT 1", ns, key);
                using (var cmd = new NpgsqlCommand("INSERT INTO memories (ns, key, id, version, content_hash, updated, doc, key_text, search_text) " +
                                                   "SELECT ns, key || '-bare', id, version, content_hash, updated, doc, key_text, search_text FROM memories WHERE ns = @ns AND key = @key", c))
                {
                    cmd.Parameters.AddWithValue("ns", ns);
                    cmd.Parameters.AddWithValue("key", key);
                    cmd.ExecuteNonQuery();
                }
            }
            var m = store.Get(ns, key);
            return new BareTransaction(connection, ns, key + "-bare", m.Id, memoryDoc, entryDoc, m.ContentHash);
        }

        private static string Scalar(NpgsqlConnection c, string sql, string ns, string key)
        {
            using (var cmd = new NpgsqlCommand(sql, c))
            {
                cmd.Parameters.AddWithValue("ns", ns);
                cmd.Parameters.AddWithValue("key", key);
                return (string)cmd.ExecuteScalar()!;
            }
        }

        /// <summary>BEGIN; UPDATE the memory row; INSERT a history row; COMMIT.</summary>
        public void Write()
        {
            var seq = ++_seq;
            using (var c = new NpgsqlConnection(_connection))
            {
                c.Open();
                using (var t = c.BeginTransaction())
                {
                    using (var cmd = new NpgsqlCommand("UPDATE memories SET version = @v, content_hash = @h, doc = @doc WHERE ns = @ns AND key = @key", c, t))
                    {
                        cmd.Parameters.AddWithValue("v", (int)(seq % 1_000_000));
                        cmd.Parameters.AddWithValue("h", _hash);
                        cmd.Parameters.AddWithValue("doc", _memoryDoc);
                        cmd.Parameters.AddWithValue("ns", _ns);
                        cmd.Parameters.AddWithValue("key", _key);
                        cmd.ExecuteNonQuery();
                    }
                    using (var cmd = new NpgsqlCommand("INSERT INTO _provenance (ns, key, seq, memory_id, branch, action, version, hash, ts, doc) VALUES (@ns, @key, @seq, @id, 'main', 'revised', @v, @h, @ts, @doc)", c, t))
                    {
                        cmd.Parameters.AddWithValue("ns", _ns);
                        cmd.Parameters.AddWithValue("key", _key);
                        cmd.Parameters.AddWithValue("seq", seq);
                        cmd.Parameters.AddWithValue("id", _id);
                        cmd.Parameters.AddWithValue("v", (int)(seq % 1_000_000));
                        cmd.Parameters.AddWithValue("h", _hash);
                        cmd.Parameters.AddWithValue("ts", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
                        cmd.Parameters.AddWithValue("doc", _entryDoc);
                        cmd.ExecuteNonQuery();
                    }
                    t.Commit();
                }
            }
        }
    }
}
