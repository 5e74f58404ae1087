"""Writes the small PyTorch state_dict fixtures of the classify tests (run with PyTorch):
    /usr/bin/python3 make_fixtures.py
The weights are simple closed forms so the Go test can check them without this script."""
from collections import OrderedDict

import torch


def layer(out, inp, k):
    w = torch.arange(out * inp, dtype=torch.float32).reshape(out, inp) / 10 - k
    b = torch.arange(out, dtype=torch.float32) / 100 + k
    return w, b


def tiny():
    sd = OrderedDict()
    for k, (i, out, inp) in enumerate([(0, 3, 2), (2, 3, 3), (4, 2, 3)]):
        w, b = layer(out, inp, k)
        sd[f"layers.{i}.weight"] = w
        sd[f"layers.{i}.bias"] = b
    return sd


fixtures = {"tiny_ok.pt": tiny()}
sd = tiny(); del sd["layers.2.bias"]; fixtures["missing_bias.pt"] = sd
sd = tiny(); del sd["layers.4.weight"]; fixtures["missing_weight.pt"] = sd
sd = tiny(); sd["layers.2.weight"] = torch.zeros(3, 4); fixtures["bad_chain.pt"] = sd
sd = tiny(); sd["layers.4.bias"] = torch.zeros(5); fixtures["bad_bias.pt"] = sd
sd = tiny(); sd["layers.4.weight"][1, 2] = float("nan"); fixtures["nan.pt"] = sd
sd = tiny(); sd["norm.weight"] = torch.ones(3); fixtures["extra_key.pt"] = sd
sd = OrderedDict(); sd["layers.0.weight"], sd["layers.0.bias"] = layer(2, 2, 0); fixtures["one_layer.pt"] = sd
sd = tiny(); sd["layers.0.weight"] = torch.zeros(3); fixtures["weight_1d.pt"] = sd
sd = tiny(); sd["layers.2.weight"] = sd["layers.2.weight"].long(); fixtures["int_weight.pt"] = sd
for name, sd in fixtures.items():
    torch.save(sd, name)
