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

        private readonly Func<IEngramStore>? _open;

        private BackendLocation(BackendKind kind, string location, Action? cleanup, Func<IEngramStore>? open = null)
        {
            Kind = kind;
            Location = location;
            _cleanup = cleanup;
            _open = open;
        }

        /// <summary>A store in this process's memory: the engine over the in-memory storage of the engine's own tests
        /// (<see cref="Engram.Core.Tests.Engine.InMemoryStorage"/>). Each <see cref="Open"/> is a new engine on the same storage.
        /// <see cref="Kind"/> names the backend transfers go to (and come from).</summary>
        public static BackendLocation InMemory(BackendKind transfersWith)
        {
            var storage = new Engram.Core.Tests.Engine.InMemoryStorage();
            return new BackendLocation(transfersWith, storage.Location, null, () => new Engram.Core.Engine.EngramEngine(storage));
        }

        public BackendKind Kind { get; }

        /// <summary>What a user passes as -Store.</summary>
        public string Location { get; }

        /// <summary>A new store object on this location.</summary>
        public IEngramStore Open() => _open != null ? _open() : EngramBackends.Open(Location);

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
