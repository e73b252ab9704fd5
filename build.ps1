<#
.SYNOPSIS
    Builds, tests, stages and publishes the Engram module; runs the demo and the Pester suite.
.DESCRIPTION
    Runs in PowerShell 7 (pwsh) and Windows PowerShell 5.1. Without pwsh installed, the repository's own copy is a
    dotnet command away: `dotnet tool restore` once, then `dotnet pwsh ./build.ps1 ...` (dotnet-tools.json pins
    PowerShell 7.6.10).

    - Build:   dotnet build of the solution (of the module project alone when no test will run: -SkipTests, -Demo,
               -Pester), which stages an importable module at out/Engram/ and generates its help (out/Engram/en-US).
    - Test:    dotnet test of the solution (xunit, including the Pester suite run inside the hosted engine).
               Skipped with -SkipTests, -Demo or -Pester.
    - Pester:  -Pester runs tests/Engram.Pester in this PowerShell with Invoke-Pester, importing Pester from the NuGet
               package that `dotnet restore` brings (~/.nuget/packages/pester/<version>/tools). Fails on any failed test.
    - Stage:   -Stage copies out/Engram to out/publish/Engram/<ModuleVersion>/ and checks it with Test-ModuleManifest.
    - Publish: -Publish stages, then publishes the staged folder with Publish-PSResource to a local folder repository
               (-RepositoryPath, default out/repo) registered under -RepositoryName for the time of the publish.
               Users then install it as from any gallery:
                   Register-PSResourceRepository -Name EngramLocal -Uri <path of out/repo> -Trusted
                   Install-PSResource Engram -Repository EngramLocal
    - Demo:    -Demo runs examples/quickstart.ps1 with the freshly built module imported.
.PARAMETER Configuration
    Release (default) or Debug.
.PARAMETER SkipBuild
    Use the module already built at out/Engram (no dotnet build).
.PARAMETER SkipTests
    Do not run dotnet test.
.PARAMETER Stage
    Make the versioned folder out/publish/Engram/<version>.
.PARAMETER Publish
    Stage and publish to the local folder repository (implies -Stage).
.PARAMETER RepositoryPath
    The folder repository -Publish writes the .nupkg to (created if missing). Default: out/repo.
.PARAMETER RepositoryName
    The PSResourceGet repository name used while publishing. Default: EngramLocal.
.PARAMETER Pester
    Run the Pester suite (tests/Engram.Pester) in this PowerShell.
.PARAMETER Demo
    Run examples/quickstart.ps1 against the built module.
.PARAMETER Clean
    Delete out/ and dotnet clean first.
.EXAMPLE
    ./build.ps1
    Builds and runs every test.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Demo
    On a machine with only the .NET SDK: builds the module and runs the quick start in real pwsh.
.EXAMPLE
    ./build.ps1 -SkipTests -Publish
    Builds, stages out/publish/Engram/<version> and publishes it to out/repo.
.EXAMPLE
    ./build.ps1 -SkipBuild -Pester
    Runs the Pester suite against the module already in out/Engram.
#>
#Requires -Version 5.1
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    [switch] $SkipBuild,
    [switch] $SkipTests,
    [switch] $Stage,
    [switch] $Publish,
    [string] $RepositoryPath,
    [string] $RepositoryName = 'EngramLocal',
    [switch] $Pester,
    [switch] $Demo,
    [switch] $Clean
)

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$solution = Join-Path $PSScriptRoot 'Engram.PowerShell.sln'
$moduleProject = Join-Path $PSScriptRoot 'src/Engram.PowerShell/Engram.PowerShell.csproj'
$moduleOut = Join-Path $PSScriptRoot 'out/Engram'
if (-not $RepositoryPath) { $RepositoryPath = Join-Path $PSScriptRoot 'out/repo' }

function Invoke-Dotnet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE." }
}

# The Pester module from the NuGet package restored for tests/Engram.Pester.Tests (the version Directory.Packages.props
# names: central package versions).
function Get-PesterManifest {
    $project = Join-Path $PSScriptRoot 'tests/Engram.Pester.Tests/Engram.Pester.Tests.csproj'
    $versions = Join-Path $PSScriptRoot 'Directory.Packages.props'
    $reference = ([xml](Get-Content -Raw $versions)).Project.ItemGroup.PackageVersion | Where-Object Include -eq 'Pester'
    if (-not $reference) { throw "Directory.Packages.props names no Pester version." }
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $manifest = Join-Path $packages "pester/$($reference.Version)/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        Invoke-Dotnet restore $project
    }
    if (-not (Test-Path -LiteralPath $manifest)) { throw "Pester $($reference.Version) is not at '$manifest' after dotnet restore." }
    $manifest
}

if ($Clean) {
    Remove-Item -Recurse -Force (Join-Path $PSScriptRoot 'out') -ErrorAction SilentlyContinue
    Invoke-Dotnet clean $solution -c $Configuration
}

$onlyModule = $SkipTests -or $Demo -or $Pester
if (-not $SkipBuild) {
    # Staging, publishing, the demo and the Pester suite need only the module; dotnet test needs the whole solution.
    if ($onlyModule) { Invoke-Dotnet build $moduleProject -c $Configuration } else { Invoke-Dotnet build $solution -c $Configuration }
}
$manifest = Test-ModuleManifest (Join-Path $moduleOut 'Engram.psd1')
Write-Host "Engram $($manifest.Version) is at $moduleOut" -ForegroundColor Green

if (-not ($SkipTests -or $Demo -or $Pester)) {
    Invoke-Dotnet test $solution -c $Configuration --no-build
}

if ($Pester) {
    Import-Module (Get-PesterManifest) -Force
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $PSScriptRoot 'tests/Engram.Pester'
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Normal'
    $result = Invoke-Pester -Configuration $config
    Write-Host "pester: $($result.PassedCount) passed, $($result.FailedCount) failed" -ForegroundColor $(if ($result.FailedCount) { 'Red' } else { 'Green' })
    if ($result.Result -ne 'Passed') { throw "Pester: $($result.FailedCount) test(s) failed, $($result.FailedContainersCount) file(s) could not run." }
}

if ($Stage -or $Publish) {
    $target = Join-Path $PSScriptRoot "out/publish/Engram/$($manifest.Version)"
    Remove-Item -Recurse -Force $target -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Force $target | Out-Null
    Copy-Item (Join-Path $moduleOut '*') $target -Recurse
    $staged = Test-ModuleManifest (Join-Path $target 'Engram.psd1')
    Write-Host "Staged Engram $($staged.Version) at $target" -ForegroundColor Green
}

if ($Publish) {
    New-Item -ItemType Directory -Force $RepositoryPath | Out-Null
    $repositoryUri = (Resolve-Path -LiteralPath $RepositoryPath).ProviderPath
    # A folder repository keeps one .nupkg per version: replace this build's.
    Remove-Item -Force (Join-Path $repositoryUri "Engram.$($staged.Version).nupkg") -ErrorAction SilentlyContinue
    if (-not $IsWindows -and $PSVersionTable.PSEdition -eq 'Core') {
        # PSResourceGet keeps its repository list (and NuGet its config) in .NET's LocalApplicationData and
        # ApplicationData folders; .NET gives '' for a missing one, and they would land in the current directory.
        $dataHome = if ($env:XDG_DATA_HOME) { $env:XDG_DATA_HOME } else { Join-Path $HOME '.local/share' }
        $configHome = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } else { Join-Path $HOME '.config' }
        New-Item -ItemType Directory -Force $dataHome, $configHome | Out-Null
    }
    $existing = Get-PSResourceRepository -Name $RepositoryName -ErrorAction SilentlyContinue
    if ($existing -and $existing.Uri.LocalPath.TrimEnd('/\') -ne $repositoryUri.TrimEnd('/\')) {
        throw "A repository named '$RepositoryName' is already registered for '$($existing.Uri)'; pass -RepositoryName <another name>."
    }
    if (-not $existing) { Register-PSResourceRepository -Name $RepositoryName -Uri $repositoryUri -Trusted }
    try {
        Publish-PSResource -Path $target -Repository $RepositoryName
    } finally {
        # Registered only for this publish: leave the user's repository list as it was.
        if (-not $existing) { Unregister-PSResourceRepository -Name $RepositoryName }
    }
    $package = Join-Path $repositoryUri "Engram.$($staged.Version).nupkg"
    if (-not (Test-Path -LiteralPath $package)) { throw "Publish-PSResource did not write '$package'." }
    Write-Host "Published Engram $($staged.Version) to $repositoryUri" -ForegroundColor Green
    Write-Host "Install it: Register-PSResourceRepository -Name $RepositoryName -Uri '$repositoryUri' -Trusted; Install-PSResource Engram -Repository $RepositoryName" -ForegroundColor Green
}

if ($Demo) {
    Import-Module (Join-Path $moduleOut 'Engram.psd1') -Force
    & (Join-Path $PSScriptRoot 'examples/quickstart.ps1')
}
