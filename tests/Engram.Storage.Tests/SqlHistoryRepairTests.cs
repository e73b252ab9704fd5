using System;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// A SQL store whose memory row is gone while its history is intact (deleted by hand): like a lost memory file on
    /// the file store, its history stays readable, a write continues it, and Test-EngramStore -Repair rebuilds the row
    /// with a 'repaired' entry.
    /// </summary>
    public sealed class SqlHistoryRepairTests : IDisposable
    {
        private readonly BackendLocation _location = BackendLocation.Create(BackendKind.Sqlite);

        public void Dispose() => _location.Dispose();

        private IEngramStore Open() => _location.Open();

        private void DeleteRow(string ns, string key)
        {
            var path = _location.Location.Substring(EngramBackends.SqlitePrefix.Length);
            using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                c.Open();
                using (var cmd = c.CreateCommand())
                {
                    cmd.CommandText = "DELETE FROM memories WHERE ns = $ns AND key = $key";
                    cmd.Parameters.AddWithValue("$ns", ns);
                    cmd.Parameters.AddWithValue("$key", key);
                    Assert.Equal(1, cmd.ExecuteNonQuery());
                }
            }
        }

        private void ThreeVersions()
        {
            var s = Open();
            foreach (var v in new[] { "v1", "v2", "v3" }) s.Set(new SetRequest("shared", "k", v) { Actor = "tester" });
            DeleteRow("shared", "k");
        }

        [Fact]
        public void LostRow_IsReported_AndRepairRebuildsIt_WithARepairedEntry()
        {
            ThreeVersions();
            Assert.Null(Open().TryGet("shared", "k"));
            Assert.Equal(new object?[] { "v1", "v2", "v3" }, Open().GetProvenance("shared", "k").Select(e => e.Value).ToArray());

            var check = Open().Verify();
            var finding = Assert.Single(check.Findings);
            Assert.Equal("MissingMemory", finding.Kind);
            Assert.False(finding.Repaired);

            var report = Open().Verify(repair: true);
            Assert.True(Assert.Single(report.Findings).Repaired);
            Assert.True(report.Healthy);
            var m = Open().Get("shared", "k");
            Assert.Equal("v3", m.Value);
            Assert.Equal(3, m.Version);
            var hist = Open().GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "repaired" }, hist.Select(e => e.Action));
            Assert.Equal(hist[2].Hash, hist[3].PrevHash);
            Assert.True(hist[3].VerifyHash());
            Assert.Empty(Open().Verify().Findings);
        }

        [Fact]
        public void LostRow_AWriteContinuesItsHistory_AsARevision_AndRestoreWorks()
        {
            ThreeVersions();
            var r = Open().Restore("shared", "k", 2, "tester");
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal("v2", Open().Get("shared", "k").Value);
            Assert.Equal("restored", r.Entry!.Action);
            DeleteRow("shared", "k");
            var w = Open().Set(new SetRequest("shared", "k", "v5") { Actor = "tester" });
            Assert.Equal(5, w.Memory.Version);
            Assert.Equal("revised", w.Entry!.Action);
            Assert.True(Open().Verify().Healthy);
        }
    }
}
