using System;
using System.Collections.Concurrent;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Engram.PowerShell
{
    /// <summary>
    /// Keeps Engram's dependencies (Engram.Core, Engram.Storage.Sql, Engram.Embeddings, YamlDotNet, Microsoft.Data.Sqlite,
    /// SQLitePCLRaw, Npgsql, the embedding clients and theirs) out of PowerShell's default load context, so another
    /// module that loads a different version of one of them (powershell-yaml ships a YamlDotNet) cannot clash with ours.
    /// The pattern from the PowerShell docs on resolving module assembly conflicts:
    /// <list type="bullet">
    /// <item>the dependencies live in <c>Dependencies/</c> beside the module, where PowerShell does not look;</item>
    /// <item>on PowerShell 7 (.NET), when the cmdlet assembly first needs Engram.Core, the default context's
    /// <c>Resolving</c> event hands it to a private <see cref="AssemblyLoadContext"/>, which then also loads
    /// Engram.Core's YamlDotNet (and the SQL backends' libraries) from <c>Dependencies/</c> — whatever versions the
    /// session already has — and the native SQLite library from <c>Dependencies/runtimes/&lt;rid&gt;/native/</c>;</item>
    /// <item>on Windows PowerShell 5.1 (.NET Framework, which has no load contexts) an AssemblyResolve handler
    /// loads them from the same folder (no isolation is possible there), and loads the native SQLite library by path
    /// before SQLite's provider first needs it.</item>
    /// </list>
    /// The cmdlet assembly exposes no dependency types in its cmdlet signatures (it has its own enums), so PowerShell
    /// can analyse the cmdlets before this resolver is registered.
    /// </summary>
    public sealed class EngramModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        internal static readonly string DependencyDirectory =
            Path.Combine(Path.GetDirectoryName(typeof(EngramModuleInitializer).Assembly.Location) ?? ".", "Dependencies");

        public void OnImport() => DependencyResolver.Register();

        public void OnRemove(PSModuleInfo psModuleInfo) => DependencyResolver.Unregister();
    }

    internal static class DependencyResolver
    {
        private static readonly object Gate = new object();
        private static bool _registered;

        private static bool IsNetFramework =>
            RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

        public static void Register()
        {
            lock (Gate)
            {
                if (_registered) return;
                if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve += ResolveOnFramework;
                else CoreResolver.Register();
                _registered = true;
            }
        }

        public static void Unregister()
        {
            lock (Gate)
            {
                if (!_registered) return;
                if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve -= ResolveOnFramework;
                else CoreResolver.Unregister();
                _registered = false;
            }
        }

        private static Assembly? ResolveOnFramework(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            var path = Path.Combine(EngramModuleInitializer.DependencyDirectory, name + ".dll");
            if (!File.Exists(path)) return null;
            // .NET Framework resolves [DllImport("e_sqlite3")] by searching powershell.exe's folder, System32 and PATH, never
            // Dependencies/runtimes/<rid>/native/. A library already loaded under that name is found first, so load it
            // by path before the assembly that imports it.
            if (name == NativeLibraries.SqliteProviderAssembly) NativeLibraries.PreloadOnWindows(NativeLibraries.Sqlite);
            return Assembly.LoadFrom(path);
        }
    }

    /// <summary>Finds the native libraries staged under <c>Dependencies/runtimes/&lt;rid&gt;/native/</c> for this process.</summary>
    internal static class NativeLibraries
    {
        /// <summary>SQLitePCLRaw's native library, as its provider imports it: <c>[DllImport("e_sqlite3")]</c>.</summary>
        public const string Sqlite = "e_sqlite3";

        /// <summary>The assembly holding that <c>DllImport</c>.</summary>
        public const string SqliteProviderAssembly = "SQLitePCLRaw.provider.e_sqlite3";

        /// <summary>
        /// The NuGet runtime identifier of this process: <c>win</c>/<c>osx</c>/<c>linux</c>, a dash, and the process's
        /// architecture (<c>x64</c>, <c>arm64</c>, ...). Null on other systems. The module stages linux, osx and win for
        /// x64 and arm64 (EngramNativeRuntimes in Engram.PowerShell.csproj).
        /// </summary>
        public static string? RuntimeIdentifier
        {
            get
            {
                string os;
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) os = "win";
                else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) os = "osx";
                else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) os = "linux";
                else return null;
                // ToString, not a switch: netstandard2.0 only knows X86/X64/Arm/Arm64, newer runtimes add more; the
                // enum names lower-cased are NuGet's architecture names (x64, arm64, s390x, ppc64le, ...).
                return os + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            }
        }

        /// <summary>The native folder for this process, <c>Dependencies/runtimes/&lt;rid&gt;/native</c> (null: unknown system).</summary>
        public static string? NativeDirectory(string dependencyDirectory)
        {
            var rid = RuntimeIdentifier;
            return rid == null ? null : Path.Combine(Path.Combine(Path.Combine(dependencyDirectory, "runtimes"), rid), "native");
        }

        /// <summary>
        /// The staged file for a <c>DllImport</c> name (<c>e_sqlite3</c> → <c>e_sqlite3.dll</c>, <c>libe_sqlite3.so</c>,
        /// <c>libe_sqlite3.dylib</c>), or null when this module ships no such library for this system.
        /// </summary>
        public static string? Find(string dependencyDirectory, string libraryName)
        {
            var directory = NativeDirectory(dependencyDirectory);
            if (directory == null || !Directory.Exists(directory)) return null;
            string extension =
                RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? ".dll" :
                RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? ".dylib" : ".so";
            foreach (var candidate in new[] { libraryName + extension, "lib" + libraryName + extension, libraryName, "lib" + libraryName })
            {
                var path = Path.Combine(directory, candidate);
                if (File.Exists(path)) return path;
            }
            return null;
        }

        /// <summary>On Windows, loads a staged native library by full path (once; later loads reuse the module).</summary>
        public static void PreloadOnWindows(string libraryName)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
            var path = Find(EngramModuleInitializer.DependencyDirectory, libraryName);
            if (path != null) LoadLibrary(path); // a failure here surfaces as the provider's own DllNotFoundException
        }

        [DllImport("kernel32", EntryPoint = "LoadLibraryW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibrary(string path);
    }

    /// <summary>Touches AssemblyLoadContext, so it is only used on .NET (PowerShell 7+).</summary>
    internal static class CoreResolver
    {
        private static EngramLoadContext? _context;

        public static void Register()
        {
            _context ??= new EngramLoadContext(EngramModuleInitializer.DependencyDirectory);
            AssemblyLoadContext.Default.Resolving += OnResolving;
        }

        public static void Unregister() => AssemblyLoadContext.Default.Resolving -= OnResolving;

        [ThreadStatic] private static bool _resolving;

        private static Assembly? OnResolving(AssemblyLoadContext defaultContext, AssemblyName name)
        {
            // Only the assembly the cmdlets use directly is routed here; its own dependencies resolve inside the
            // private context (EngramLoadContext.Load), invisible to the rest of the session. Load by path, and only
            // when the file is there: asking the private context by name would fall back to the default context and
            // raise this event again.
            if (_resolving || !(name.Name == "Engram.Core" || name.Name == "Engram.Storage.Sql" || name.Name == "Engram.Embeddings")) return null;
            var path = Path.Combine(EngramModuleInitializer.DependencyDirectory, name.Name + ".dll");
            if (!File.Exists(path)) return null;
            try
            {
                _resolving = true;
                return _context!.LoadFromAssemblyPath(path);
            }
            finally
            {
                _resolving = false;
            }
        }
    }

    /// <summary>
    /// The private load context holding Engram.Core, Engram.Storage.Sql, Engram.Embeddings and everything they load from
    /// <c>Dependencies/</c>: YamlDotNet, Microsoft.Data.Sqlite, SQLitePCLRaw (and its native e_sqlite3), Npgsql, the
    /// embedding clients (Microsoft.Extensions.AI, OllamaSharp, OpenAI).
    /// </summary>
    internal sealed class EngramLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;

        /// <summary>The .NET shared framework's folder (Microsoft.NETCore.App/&lt;version&gt;), or null when unknown.</summary>
        private static readonly string? FrameworkDirectory = FindFrameworkDirectory();

        public EngramLoadContext(string directory) { _directory = directory; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name;
            if (string.IsNullOrEmpty(name)) return null;
            var path = Path.Combine(_directory, name + ".dll");
            // null: the default context supplies it (the framework).
            if (!File.Exists(path) || _frameworkWins.GetOrAdd(name!, _ => FrameworkHasAtLeast(name!, path))) return null;
            return LoadFromAssemblyPath(path);
        }

        /// <summary>Per assembly name, whether the framework's copy is used rather than ours (decided once, by name).</summary>
        private readonly ConcurrentDictionary<string, bool> _frameworkWins = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// Whether the running .NET has this assembly at the version of ours or later. Dependencies/ holds the
        /// netstandard2.0 builds of System.Memory, System.Text.Json, System.Threading.Tasks.Extensions and the like, for
        /// Windows PowerShell; on .NET they are part of the framework, and loading the package builds here instead would
        /// give this context its own Span&lt;T&gt;, ValueTask and friends, unequal to the framework's. Ours wins only when
        /// it is newer (System.Text.Json 10 on a .NET 8 PowerShell). Decided by name, not per reference, so one context
        /// never holds two versions. Only the shared framework counts, not whatever the host application (pwsh) ships:
        /// those are what this context isolates us from.
        /// </summary>
        private static bool FrameworkHasAtLeast(string name, string ours)
        {
            if (FrameworkDirectory == null) return false;
            var framework = Path.Combine(FrameworkDirectory, name + ".dll");
            if (!File.Exists(framework)) return false;
            try
            {
                var available = AssemblyName.GetAssemblyName(framework).Version;
                var staged = AssemblyName.GetAssemblyName(ours).Version;
                return available != null && (staged == null || available >= staged);
            }
            catch (Exception e) when (e is IOException || e is BadImageFormatException || e is UnauthorizedAccessException)
            {
                return false; // not a managed assembly we can read: ours will do
            }
        }

        private static string? FindFrameworkDirectory()
        {
            var coreLibrary = typeof(object).Assembly.Location; // empty in single-file hosts
            var directory = string.IsNullOrEmpty(coreLibrary) ? RuntimeEnvironment.GetRuntimeDirectory() : Path.GetDirectoryName(coreLibrary);
            return string.IsNullOrEmpty(directory) || !Directory.Exists(directory) ? null : directory;
        }

        /// <summary>
        /// <c>[DllImport("e_sqlite3")]</c> in SQLitePCLRaw's provider, loaded in this context, asks here first: load the
        /// library staged for this OS and architecture from <c>Dependencies/runtimes/&lt;rid&gt;/native/</c>. Anything
        /// else (zero) goes through the normal search (system libraries).
        /// </summary>
        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = NativeLibraries.Find(_directory, unmanagedDllName);
            return path == null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }
    }
}
