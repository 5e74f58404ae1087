# Generates the small .pt fixtures used by the spirals tests.
# Run with a Python that has torch (made with torch 1.13):
#   /usr/bin/python3 generate.py
import torch

X = torch.tensor([[0.5, -1.0], [0.25, 2.0], [-0.5, 1.0]], dtype=torch.float32)
torch.save({"X": X, "Y": torch.tensor([0, 1, 1])}, "small.pt")
torch.save({"X": X.double(), "Y": torch.tensor([0, 1, 1], dtype=torch.int32)}, "small64.pt")
torch.save({"X": X, "Y": torch.tensor([0, 2, 1])}, "badlabel.pt")
torch.save({"X": torch.tensor([[0.5, float("nan")], [0.25, 2.0], [-0.5, 1.0]]),
            "Y": torch.tensor([0, 1, 1])}, "nan.pt")
torch.save({"X": X, "Y": torch.tensor([0, 1])}, "short.pt")
torch.save({"X": X.t().contiguous(), "Y": torch.tensor([0, 1, 1])}, "wide.pt")
torch.save({"points": X, "labels": torch.tensor([0, 1, 1])}, "names.pt")
torch.save({"X": X, "Y": torch.tensor([0.0, 1.0, 1.0])}, "floatlabels.pt")
