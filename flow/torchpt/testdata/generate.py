# Generates the small PyTorch fixtures used by torchpt's tests.
# Run with a Python that has torch (made with torch 1.13):
#   /usr/bin/python3 generate.py
# Every value is a simple formula so the Go tests can state the expected
# contiguous row-major result directly.
import collections

import torch

torch.manual_seed(0)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)

sd = collections.OrderedDict()
sd["base"] = base                          # contiguous, shares storage with the views
sd["transposed"] = base.t()                # shape [6,4], stride (1,6)
sd["slice"] = base[1:3, 2:5]               # storage offset 8, stride (6,1)
sd["step"] = base[:, ::2]                  # stride (6,2)
sd["expand"] = torch.arange(3, dtype=torch.float32).expand(2, 3)  # stride (0,1)
sd["f64"] = torch.arange(5, dtype=torch.float64) * 0.5
sd["f16"] = torch.tensor([1.5, -2.0], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
sd["i64"] = torch.tensor([-(2 ** 40), 7], dtype=torch.int64)
sd["i32"] = torch.tensor([-1, 2, -3], dtype=torch.int32)
sd["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
sd["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
sd["b"] = torch.tensor([True, False, True])
sd["scalar"] = torch.tensor(3.25)
sd["empty"] = torch.zeros(0, 3)
sd["param"] = torch.nn.Parameter(torch.tensor([[1.0, 2.0]]))
sd["nested"] = {"inner": {"w": torch.arange(6, dtype=torch.int64).reshape(2, 3).t()}}
sd["epoch"] = 12  # a non-tensor leaf: ignored by the loader
torch.save(sd, "fixture.pt")

torch.save({"c": torch.zeros(2, dtype=torch.complex64)}, "complex.pt")
torch.save([torch.zeros(2)], "list.pt")
torch.save(torch.zeros(2), "tensor.pt")
torch.save({"epoch": 3, "name": "x"}, "notensors.pt")
torch.save({"w": torch.zeros(2)}, "legacy.pt", _use_new_zipfile_serialization=False)
