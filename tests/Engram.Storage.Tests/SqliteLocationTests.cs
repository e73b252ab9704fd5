using System;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// A <c>sqlite:</c> location names one file, and Engram uses exactly that file (and SQLite's own <c>-wal</c>/<c>-shm</c>
    /// beside it): the path is made absolute before it reaches SQLite, so URI file names (<c>file:…?mode=memory</c>,
    /// <c>vfs=</c>) and the <c>|DataDirectory|</c> macro are never interpreted, and connection-string syntax cannot be injected.
    /// </summary>
    public class SqliteLocationTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "engram-storage-tests", Guid.NewGuid().ToString("N"));

        public SqliteLocationTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            try { Directory.Delete(_dir, true); }
            catch (IOException) { }
        }

        [Theory]
        [InlineData("file:evil.db?mode=memory&vfs=unix-none")]
        [InlineData("|DataDirectory|evil.db")]
        [InlineData("store.db;Data Source=elsewhere.db;Mode=Memory")]
        public void TheLocationIsOneFile_NothingIsInterpreted(string name)
        {
            if (OperatingSystem.IsWindows()) return; // ':', '|', '?' cannot be in a Windows file name
            var store = EngramBackends.Open(EngramBackends.SqlitePrefix + name, p => Path.Combine(_dir, p));
            store.Set(new SetRequest("shared", "k", "v") { Actor = "t" });
            var expected = Path.Combine(_dir, name);
            Assert.True(File.Exists(expected), "the store is not the file that was named");
            Assert.Equal("v", EngramBackends.Open(EngramBackends.SqlitePrefix + name, p => Path.Combine(_dir, p)).Get("shared", "k").Value);
            (store as IDisposable)?.Dispose();
            var others = Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName)
                .Where(f => f != name && f != name + "-wal" && f != name + "-shm" && f != name + "-journal").ToList();
            Assert.Empty(others);
            Assert.False(File.Exists(Path.Combine(_dir, "elsewhere.db")));
        }
    }
}
