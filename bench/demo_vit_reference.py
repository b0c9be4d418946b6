"""The demo's learning problem in PyTorch: timm's ViT with the demo's layout, or a linear classifier on
pixels, trained on the demo's labelled faces (runs/demo/data after `make demo`) the way `zoo run au` trains
(AdamW, weight decay 0.05, 2 warm-up epochs then cosine, BCE on the 12 BP4D AUs, horizontal flips), printing
the train loss and the mean AUC on the test subjects every 5 epochs. It is a reference for README's demo
section, not a benchmark:

    python3 bench/demo_vit_reference.py --model pixels
    python3 bench/demo_vit_reference.py                      # vit, blr 1e-2, batch 32, 25 epochs
    python3 bench/demo_vit_reference.py --bs 8 --blr 4e-2    # 4x the steps at the same lr
    python3 bench/demo_vit_reference.py --blr 4e-2           # 4x the lr
    python3 bench/demo_vit_reference.py --patch 16 --sincos 1  # the demo's patch 16, MAE's sin-cos positions

Needs torch, timm, numpy, pillow and scikit-learn.
"""
import json, sys, math, numpy as np, torch, timm, argparse, time
from PIL import Image
from sklearn.metrics import roc_auc_score
ap=argparse.ArgumentParser()
ap.add_argument('--data',default='runs/demo/data'); ap.add_argument('--epochs',type=int,default=25)
ap.add_argument('--blr',type=float,default=1e-2); ap.add_argument('--bs',type=int,default=32)
ap.add_argument('--patch',type=int,default=8); ap.add_argument('--dim',type=int,default=96); ap.add_argument('--depth',type=int,default=4)
ap.add_argument('--heads',type=int,default=3); ap.add_argument('--size',type=int,default=64); ap.add_argument('--model',default='vit')
ap.add_argument('--pool',default='avg'); ap.add_argument('--sincos',type=float,default=0)
ap.add_argument('--threads',type=int,default=2); ap.add_argument('--wd',type=float,default=0.05)
a=ap.parse_args(); torch.manual_seed(0); torch.set_num_threads(a.threads)
AU=[1,2,4,6,7,10,12,14,15,17,23,24]
def load(f):
    X=[];Y=[]
    for l in map(json.loads,open(f'{a.data}/{f}.jsonl')):
        im=Image.open(f'{a.data}/images/'+l['img_path']).convert('RGB')
        if im.size[0]!=a.size: im=im.resize((a.size,a.size),Image.BICUBIC)
        X.append(np.asarray(im,dtype=np.float32)/255); Y.append([1.0 if u in l['AUs'] else 0.0 for u in AU])
    X=torch.tensor(np.stack(X)).permute(0,3,1,2)
    m=torch.tensor([0.485,0.456,0.406]).view(1,3,1,1); s=torch.tensor([0.229,0.224,0.225]).view(1,3,1,1)
    return (X-m)/s, torch.tensor(Y)
X,Y=load('train'); Xt,Yt=load('test')
if a.model=='vit':
    model=timm.models.vision_transformer.VisionTransformer(img_size=a.size,patch_size=a.patch,embed_dim=a.dim,depth=a.depth,num_heads=a.heads,num_classes=12,global_pool=a.pool)
    if a.sincos:
        # Start the learned position embedding from MAE's fixed 2D sin-cos table (get_2d_sincos_pos_embed),
        # times --sincos, as a fine-tuned MAE encoder does; timm's default is trunc_normal(0.02).
        g=a.size//a.patch
        def half(d,pos):
            om=1./10000**(np.arange(d//2,dtype=np.float64)/(d/2.))
            out=np.einsum('m,d->md',pos.reshape(-1),om); return np.concatenate([np.sin(out),np.cos(out)],1)
        gw,gh=np.meshgrid(np.arange(g,dtype=np.float32),np.arange(g,dtype=np.float32))
        table=np.concatenate([half(a.dim//2,gw),half(a.dim//2,gh)],1)
        with torch.no_grad(): model.pos_embed[0,-g*g:]=torch.tensor(table,dtype=torch.float32)*a.sincos
else:
    model=torch.nn.Sequential(torch.nn.Flatten(),torch.nn.Linear(3*a.size*a.size,12))
lr=a.blr*a.bs/256; opt=torch.optim.AdamW(model.parameters(),lr=lr,weight_decay=a.wd)
n=len(X); steps=math.ceil(n/a.bs); total=a.epochs*steps; warm=2*steps; it=0; t0=time.time()
def auc(Xe,Ye):
    with torch.no_grad(): p=torch.sigmoid(model(Xe)).numpy()
    return np.mean([roc_auc_score(Ye[:,k],p[:,k]) for k in range(12)])
for ep in range(a.epochs):
    perm=torch.randperm(n); tl=0; model.train()
    for i in range(0,n,a.bs):
        idx=perm[i:i+a.bs]; x=X[idx]
        flip=torch.rand(len(idx))<0.5; x=torch.where(flip.view(-1,1,1,1),x.flip(3),x)
        cur=lr*it/warm if it<warm else 1e-6+(lr-1e-6)*0.5*(1+math.cos(math.pi*(it-warm)/(total-warm)))
        for g in opt.param_groups: g['lr']=cur
        loss=torch.nn.functional.binary_cross_entropy_with_logits(model(x),Y[idx])
        opt.zero_grad(); loss.backward(); opt.step(); it+=1; tl+=loss.item()*len(idx)
    if ep%5==4 or ep==a.epochs-1:
        model.eval(); print(f'{vars(a)} epoch {ep+1} loss {tl/n:.4f} test AUC {auc(Xt,Yt)*100:.1f} t {time.time()-t0:.0f}s',flush=True)
