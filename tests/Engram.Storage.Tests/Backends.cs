using System;
using System.IO;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.Storage.Tests
{
    /// <summary>A fresh, empty store location of one backend per test; deletes it afterwards.</summary>
    public sealed class BackendLocation : IDisposable
    {
        private readonly Action? _cleanup;

        private BackendLocation(BackendKind kind, string location, Action? cleanup)
        {
            Kind = kind;
            Location = location;
            _cleanup = cleanup;
        }

        public BackendKind Kind { get; }

        /// <summary>What a user passes as -Store.</summary>
        public string Location { get; }

        /// <summary>A new store object on this location.</summary>
        public IEngramBackend Open() => EngramBackends.Open(Location);

        public static BackendLocation Create(BackendKind kind)
        {
            switch (kind)
            {
                case BackendKind.File:
                {
                    var dir = Path.Combine(Path.GetTempPath(), "engram-storage-tests", Guid.NewGuid().ToString("N"));
                    return new BackendLocation(kind, Path.Combine(dir, "store"), () => TryDelete(dir));
                }
                case BackendKind.Sqlite:
                {
                    var dir = Path.Combine(Path.GetTempPath(), "engram-storage-tests", Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(dir);
                    return new BackendLocation(kind, EngramBackends.SqlitePrefix + Path.Combine(dir, "store.db"), () => TryDelete(dir));
                }
                default:
                {
                    var (location, drop) = PostgresServer.NewDatabase();
                    return new BackendLocation(kind, location, drop);
                }
            }
        }

        private static void TryDelete(string dir)
        {
            try { Directory.Delete(dir, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        public void Dispose() => _cleanup?.Invoke();
    }
}
