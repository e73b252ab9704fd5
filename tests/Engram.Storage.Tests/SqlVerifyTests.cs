using System;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>The engine's verifier on a SQL store whose rows were damaged by hand: each damaged row is one finding,
    /// and the rest of the store is still checked.</summary>
    public sealed class SqlVerifyTests : IDisposable
    {
        private readonly BackendLocation _location = BackendLocation.Create(BackendKind.Sqlite);

        public void Dispose() => _location.Dispose();

        private IEngramStore Open() => _location.Open();

        private void Exec(string sql)
        {
            var path = _location.Location.Substring(EngramBackends.SqlitePrefix.Length);
            using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                c.Open();
                using (var cmd = c.CreateCommand())
                {
                    cmd.CommandText = sql;
                    Assert.Equal(1, cmd.ExecuteNonQuery());
                }
            }
        }

        [Fact]
        public void A_damaged_memory_row_with_a_history_is_one_MalformedMemory_finding_and_repair_rebuilds_it()
        {
            var s = Open();
            s.Set(new SetRequest("shared", "k", "v1") { Actor = "tester", TrackProvenance = true });
            s.Set(new SetRequest("shared", "k", "v2") { Actor = "tester" });
            s.Set(new SetRequest("shared", "other", "fine") { Actor = "tester", TrackProvenance = true });
            Exec("UPDATE memories SET doc = 'value: [unclosed' WHERE ns = 'shared' AND key = 'k'");

            var report = Open().Verify();
            var finding = Assert.Single(report.Findings);
            Assert.Equal("MalformedMemory", finding.Kind);
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.Equal("k", finding.Key);
            Assert.Equal(2, report.MemoriesChecked);
            Assert.Equal(2, report.HistoriesChecked);
            Assert.Equal(3, report.EntriesChecked); // the damaged memory's history is walked too (as on files)
            Assert.Equal(2, finding.Seq);
            Assert.EndsWith("its history is intact: -Repair rebuilds it from entry 2 (version 2) and records that in a 'repaired' entry.", finding.Message, StringComparison.Ordinal);
            Assert.False(report.Healthy);

            // As on files, -Repair rebuilds the memory from its history, and a 'repaired' entry records it.
            var repaired = Assert.Single(Open().Verify(repair: true).Findings);
            Assert.True(repaired.Repaired);
            var store = Open();
            Assert.Equal("v2", store.Get("shared", "k").Value);
            Assert.Equal("repaired", store.GetProvenance("shared", "k").Last().Action);
            Assert.True(store.Verify().Healthy);
        }

        [Fact]
        public void A_damaged_branch_record_is_one_MalformedBranch_finding_and_the_other_branches_are_checked()
        {
            var s = Open();
            s.Set(new SetRequest("shared", "k", "v1") { Actor = "tester" });
            s.Fork("shared", "a", null, "tester");
            s.Fork("shared", "b", null, "tester");
            Exec("UPDATE branches SET doc = 'name: [unclosed' WHERE ns = 'shared' AND name = 'a'");

            var report = Open().Verify();
            var finding = Assert.Single(report.Findings);
            Assert.Equal("MalformedBranch", finding.Kind);
            Assert.Equal(s.Root + "#_branches/shared/a", finding.Path);
            Assert.Equal(2, report.BranchesChecked);
        }
    }
}
