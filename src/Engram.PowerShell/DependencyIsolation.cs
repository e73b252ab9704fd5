using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Engram.PowerShell
{
    /// <summary>
    /// Keeps Engram's dependencies (Engram.Core, YamlDotNet) out of PowerShell's default load context, so another
    /// module that loads a different YamlDotNet (powershell-yaml ships one) cannot clash with ours. The pattern from
    /// the PowerShell docs on resolving module assembly conflicts:
    /// <list type="bullet">
    /// <item>the dependencies live in <c>Dependencies/</c> beside the module, where PowerShell does not look;</item>
    /// <item>on PowerShell 7 (.NET), when the cmdlet assembly first needs Engram.Core, the default context's
    /// <c>Resolving</c> event hands it to a private <see cref="AssemblyLoadContext"/>, which then also loads
    /// Engram.Core's YamlDotNet from <c>Dependencies/</c> — whatever YamlDotNet the session already has;</item>
    /// <item>on Windows PowerShell 5.1 (.NET Framework, which has no load contexts) an AssemblyResolve handler
    /// loads them from the same folder (no isolation is possible there).</item>
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
            var path = Path.Combine(EngramModuleInitializer.DependencyDirectory, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
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
            if (_resolving || !(name.Name == "Engram.Core" || name.Name == "Engram.Storage.Sql")) return null;
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

    /// <summary>The private load context holding Engram.Core and its YamlDotNet.</summary>
    internal sealed class EngramLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;

        public EngramLoadContext(string directory) { _directory = directory; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var path = Path.Combine(_directory, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null; // null: the default context supplies it (framework)
        }
    }
}
