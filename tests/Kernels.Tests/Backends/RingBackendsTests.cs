using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>Device selection: names, the CPU default, and the clear refusal of cuda where there is no GPU.</summary>
public sealed class RingBackendsTests
{
    [Theory]
    [InlineData("cpu", RingDevice.Cpu)]
    [InlineData("CUDA", RingDevice.Cuda)]
    [InlineData(" auto ", RingDevice.Auto)]
    public void DeviceNamesParse(string text, RingDevice device) => Assert.Equal(device, RingDeviceNames.Parse(text));

    [Fact]
    public void AnUnknownDeviceIsRefused() => Assert.Throws<ArgumentException>(() => RingDeviceNames.Parse("tpu"));

    [Fact]
    public void CpuIsTheDefaultAndTheCpuChoice()
    {
        Assert.Same(CpuRingBackend.Instance, RingBackends.Current);
        Assert.Same(CpuRingBackend.Instance, RingBackends.Create(RingDevice.Cpu));
    }

    [Fact]
    public void AutoAndCudaAgreeWithWhetherCudaIsPresent()
    {
        using var cuda = IlgpuRingBackend.TryCreateCuda(null, out var reason);
        var auto = RingBackends.Create(RingDevice.Auto);
        try
        {
            if (cuda is null)
            {
                Assert.Same(CpuRingBackend.Instance, auto);
                var e = Assert.Throws<RingDeviceUnavailableException>(() => RingBackends.Create(RingDevice.Cuda));
                Assert.Contains("--device cuda", e.Message);
                Assert.Contains(reason, e.Message);
            }
            else Assert.Equal("cuda", auto.Name);
        }
        finally
        {
            if (!ReferenceEquals(auto, CpuRingBackend.Instance)) auto.Dispose();
        }
    }

    [Fact]
    public void DeviceThresholdsComeFromTheEnvironment()
    {
        Assert.Equal(new IlgpuRingBackendOptions(), IlgpuRingBackendOptions.FromEnvironment(_ => null));
        var set = new Dictionary<string, string> { ["PI_GPU_MIN_MATMUL_WORK"] = "0", ["PI_GPU_MIN_ELEMENTS"] = "12" };
        var options = IlgpuRingBackendOptions.FromEnvironment(set.GetValueOrDefault);
        Assert.Equal(0, options.MinMatMulWork);
        Assert.Equal(12, options.MinElements);
        Assert.Throws<ArgumentException>(() => IlgpuRingBackendOptions.FromEnvironment(_ => "-1"));
    }
}
